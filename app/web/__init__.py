"""The French web interface for the DIM's readers: pages rendered by the server on the API's services."""
