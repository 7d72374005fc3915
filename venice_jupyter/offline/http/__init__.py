"""The offline server's HTTP side: ``OfflineServer`` on loopback, routing, the wire format
(SSE or one JSON body), rate limits and balance, and the faults it can inject on purpose."""

from venice_jupyter.offline.http._faults import KINDS, Fault, FaultKind
from venice_jupyter.offline.http._server import OfflineServer

__all__ = ["KINDS", "Fault", "FaultKind", "OfflineServer"]
