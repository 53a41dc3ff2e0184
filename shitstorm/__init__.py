"""shitstorm: escalation and publicity-pressure scores for German public customer posts."""
