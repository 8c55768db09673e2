"""The demo source: serves the generated demo district through the Connector interface."""
