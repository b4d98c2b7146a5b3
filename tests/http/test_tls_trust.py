"""http.tls_context(): httpx's TLS settings, with the trusted certificates read at the first handshake.

The server here is the test's own, on 127.0.0.1, with a certificate made for it by the
``openssl`` command (the test is skipped where there is none).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from minipixi import http


def fresh_context() -> http.TrustOnFirstHandshake:
    return http.TrustOnFirstHandshake(ssl.PROTOCOL_TLS_CLIENT)


def test_the_settings_are_httpx_own_and_the_certificates_wait_for_a_handshake(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    ours, theirs = fresh_context(), httpx.create_ssl_context()
    for setting in ("protocol", "verify_mode", "check_hostname", "verify_flags", "options",
                    "minimum_version", "maximum_version"):
        assert getattr(ours, setting) == getattr(theirs, setting), setting
    assert ours.verify_mode == ssl.CERT_REQUIRED and ours.check_hostname
    assert ours.cert_store_stats()["x509_ca"] == 0  # nothing read yet
    assert isinstance(http.tls_context(), http.TrustOnFirstHandshake)  # what every client gets
    ours.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.org")
    assert ours.get_ca_certs() == theirs.get_ca_certs() != []


def test_an_unreadable_certificate_file_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(http.DownloadError) as caught:
        fresh_context().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.org")
    assert "trusted certificates" in caught.value.message
    assert "SSL_CERT_FILE" in caught.value.hint and caught.value.where.endswith("missing.pem")


@pytest.fixture
def tls_server(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/file", cert
    httpd.shutdown()
    httpd.server_close()


def test_https_is_verified_against_the_trusted_certificates(tls_server, monkeypatch):
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our server's certificate
    with httpx.Client(verify=fresh_context()) as client:
        assert http.fetch_bytes(url, client=client).body == b"hello"
    monkeypatch.delenv("SSL_CERT_FILE")  # certifi's bundle does not know it: refused
    with httpx.Client(verify=fresh_context()) as client:
        with pytest.raises(http.DownloadError) as caught:
            http.fetch_bytes(url, client=client)
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message
