"""The read side: view tables, one projector per view, the engine that keeps them current."""
