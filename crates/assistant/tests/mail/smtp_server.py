"""A real SMTP server for the mail tests (aiosmtpd), bound to 127.0.0.1 on a free port.

Prints "PORT <n>" once listening. Modes:
  --save DIR            accept every message and write it to DIR/<n>.eml (temp file + rename)
  --reject-rcpt CODE    answer RCPT TO with CODE (e.g. 550 or 451), naming the address
  --reject-data CODE    accept RCPT, answer DATA with CODE
TLS (optional): --starttls CERT KEY (STARTTLS required) or --tls CERT KEY (implicit TLS).
Login (optional): --auth USER PASSWORD (AUTH required, only over TLS).
Exits after 120 s at the latest, so a crashed test never leaves it running.
"""
import argparse
import asyncio
import itertools
import os
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

counter = itertools.count(1)


class Save:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        final = os.path.join(self.directory, "%04d.eml" % n)
        tmp = final + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, final)
        return "250 2.0.0 stored as %d" % n


class RejectRcpt:
    def __init__(self, code):
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.code.startswith("4"):
            return "%s 4.3.0 <%s> mailbox busy, try later" % (self.code, address)
        return "%s 5.1.1 <%s> no such mailbox" % (self.code, address)


class RejectData:
    def __init__(self, code):
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.code.startswith("4"):
            return "%s 4.3.0 queue full, try later" % self.code
        return "%s 5.7.1 message refused by policy" % self.code


async def main():
    p = argparse.ArgumentParser()
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save")
    mode.add_argument("--reject-rcpt")
    mode.add_argument("--reject-data")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", nargs=2, metavar=("USER", "PASSWORD"))
    a = p.parse_args()

    if a.save:
        handler = Save(a.save)
    elif a.reject_rcpt:
        handler = RejectRcpt(a.reject_rcpt)
    else:
        handler = RejectData(a.reject_data)

    context = None
    pair = a.starttls or a.tls
    if pair:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pair[0], pair[1])

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == a.auth[0]
              and auth_data.password.decode() == a.auth[1])
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=ok, handled=False)

    def factory():
        options = {"hostname": "localhost"}
        if a.auth:
            options.update(authenticator=authenticator, auth_required=True,
                           auth_require_tls=True)
        if a.starttls:
            options.update(tls_context=context, require_starttls=True)
        return SMTP(handler, **options)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=sock,
                                      ssl=context if a.tls else None)
    print("PORT %d" % sock.getsockname()[1], flush=True)
    try:
        await asyncio.wait_for(server.serve_forever(), timeout=120)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
