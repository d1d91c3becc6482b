"""Fixtures for the webhook tests: real receivers over HTTP and HTTPS, and a test certificate authority."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hours_core.subscriptions import UrlPolicy
from hours_memory import InMemoryStore
from hours_sqlite import SqliteStore
from tests.webhooks.receiver import Receiver, running_receiver
from tests.webhooks.required_tools import require_tool
from tests.world import World, make_world

CERTIFICATE_NAMES = "DNS:hooks.example.com,DNS:localhost,IP:127.0.0.1"
"""What the test server certificate is valid for."""

_LEAF_EXTENSIONS = f"""\
subjectAltName = {CERTIFICATE_NAMES}
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``ca.pem`` (a test CA) and ``server.pem`` / ``server.key`` signed by it."""
    openssl = require_tool("openssl", "to make the test certificates of the HTTPS receiver")
    folder = tmp_path_factory.mktemp("tls")
    (folder / "server.ext").write_text(_LEAF_EXTENSIONS)
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec_key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
         "-subj", "/CN=hours webhook test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-new", *ec_key, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=hooks.example.com"],
        [openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "30", "-extfile", "server.ext"],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(command, cwd=folder, check=True, capture_output=True)
    return folder


@pytest.fixture
def trusting_the_test_ca(certificate_authority: Path) -> ssl.SSLContext:
    """A client TLS context like the default one, that trusts the test CA only."""
    context = ssl.create_default_context(cafile=str(certificate_authority / "ca.pem"))
    context.set_alpn_protocols(["http/1.1"])
    return context


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def tls_receiver(certificate_authority: Path) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_authority / "server.pem", certificate_authority / "server.key")
    with running_receiver(tls=context) as running:
        yield running


LOCAL = UrlPolicy(allow_http=True, allow_private=True)
"""The URL policy of the dispatcher tests: their receivers listen on 127.0.0.1 over plain HTTP."""


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """An organization whose webhooks may point at local receivers, on the in-memory store and SQLite."""
    if request.param == "memory":
        yield make_world(InMemoryStore().unit_of_work, url_policy=LOCAL)
        return
    store = SqliteStore.open(tmp_path / "hours.db")
    store.migrate()
    try:
        yield make_world(store.unit_of_work, url_policy=LOCAL)
    finally:
        store.close()
