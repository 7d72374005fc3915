"""``python -m venice_jupyter.offline``: run the offline Venice API in the foreground."""

from __future__ import annotations

import argparse
import errno
import sys

from venice_jupyter.offline.http import OfflineServer

__all__ = ["main"]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="venice-offline", description="Serve the offline Venice-compatible API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0: any free port")
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    parser.add_argument(
        "--generic", action="store_true", help="answer /models like a plain OpenAI server"
    )
    args = parser.parse_args()
    try:
        server = OfflineServer(args.host, args.port, api_key=args.api_key, generic=args.generic)
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        reason = f"port {args.port} is taken" if taken else str(exc)
        sys.exit(
            f"venice-offline: cannot listen on {args.host}:{args.port}: {reason}. "
            "Choose another with --port (0 picks a free one)."
        )
    print(server.base_url, flush=True)  # the first line: what a launcher reads
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
