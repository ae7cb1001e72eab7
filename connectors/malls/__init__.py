"""One module per mall; each registers its Connector on import (see connectors.apps)."""
