"""azure-identity's own ClientSecretCredential (MSAL underneath) gets a token from the emulator.

azure-identity and MSAL accept only an https authority, so the credential keeps its default
authority (https://login.microsoftonline.com) and is given a transport that sends those requests
to the emulator over plain http instead, with X-Forwarded-Proto/-Host so the documents the emulator
serves name https://login.microsoftonline.com URLs, as Entra's do. Everything else is Microsoft's code: MSAL's tenant
discovery reads the emulator's openid-configuration and posts the client-credentials grant to the
token_endpoint it names."""

from __future__ import annotations

from urllib.parse import urlsplit

from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ClientSecretCredential

from support import CLIENT_ID, CLIENT_SECRET, SCOPE, SUBSCRIPTION, TENANT


class ToEmulator(RequestsTransport):
    """Sends https://login.microsoftonline.com/... to the emulator (saying, as a TLS-terminating
    proxy would, which URL the client used), and records the paths."""

    def __init__(self, endpoint: str):
        super().__init__()
        self.endpoint = endpoint
        self.paths: list[str] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        parts = urlsplit(request.url)
        if parts.hostname == "login.microsoftonline.com":
            request.url = self.endpoint + parts.path + (f"?{parts.query}" if parts.query else "")
            request.headers["X-Forwarded-Proto"] = "https"
            request.headers["X-Forwarded-Host"] = "login.microsoftonline.com"
        self.paths.append(urlsplit(request.url).path)
        return super().send(request, **kwargs)


def test_client_secret_credential_through_msal_discovery(raw, endpoint):
    transport = ToEmulator(endpoint)
    credential = ClientSecretCredential(TENANT, CLIENT_ID, CLIENT_SECRET, transport=transport)
    token = credential.get_token(SCOPE)
    assert token.token and token.expires_on > 0
    assert f"/{TENANT}/v2.0/.well-known/openid-configuration" in transport.paths
    assert transport.paths[-1] == f"/{TENANT}/oauth2/v2.0/token"
    status, _, _ = raw.call("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version=2021-04-01", auth=token.token)
    assert status == 200


def test_a_wrong_secret_is_refused_as_entra_does(raw, endpoint):
    raw.control("POST", "settings", {"clients": {CLIENT_ID: CLIENT_SECRET}})
    credential = ClientSecretCredential(TENANT, CLIENT_ID, "wrong", transport=ToEmulator(endpoint))
    try:
        credential.get_token(SCOPE)
    except Exception as err:  # azure.identity raises ClientAuthenticationError carrying AADSTS7000215
        assert "AADSTS7000215" in str(err)
    else:
        raise AssertionError("a wrong client secret got a token")
