"""`dimqa serve` listens on a socket it binds itself; its connections must have Nagle turned off.

asyncio sets TCP_NODELAY only on sockets whose protocol reads IPPROTO_TCP: a listener created with
protocol 0 gave every short response a 40 ms wait (the body held back until the client's delayed
ACK of the headers), which doubled the p95 of every small API answer measured by the benchmarks.
"""

from __future__ import annotations

import asyncio
import socket

from app.cli.main import _listen_socket


def test_the_served_connections_send_without_waiting_for_acks() -> None:
    listener = _listen_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def scenario() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listener)
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(scenario())
    assert seen and seen[0] != 0
