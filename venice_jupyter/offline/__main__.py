"""``python -m venice_jupyter.offline``: run the offline Venice API in the foreground."""

from __future__ import annotations

import argparse

from venice_jupyter.offline.http import OfflineServer

__all__ = ["main"]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="venice-offline", description="Serve the offline Venice-compatible API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    args = parser.parse_args()
    server = OfflineServer(args.host, args.port, api_key=args.api_key)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
