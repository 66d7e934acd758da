"""Gets a tokenvend token with authlib's OAuth2Session (client credentials), configured and nothing more.

Run by test/e2e/oauth-clients.test.ts with Debian's /usr/bin/python3 and python3-authlib; the README's
Python snippet is this program. TOKENVEND_AUTH is client_secret_basic or private_key_jwt.
"""
import os
import sys

from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT

token_endpoint = os.environ["TOKENVEND_URL"] + "/oauth/token"
scope = "org:" + os.environ["TOKENVEND_ORG"]

if os.environ["TOKENVEND_AUTH"] == "private_key_jwt":
    with open(os.environ["TOKENVEND_PRIVATE_KEY_FILE"]) as pem:
        private_key = pem.read()
    session = OAuth2Session(
        os.environ["TOKENVEND_CLIENT_ID"],
        private_key,
        scope=scope,
        token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg="ES256"),
    )
else:
    session = OAuth2Session(
        os.environ["TOKENVEND_CLIENT_ID"],
        os.environ["TOKENVEND_CLIENT_SECRET"],
        scope=scope,
        token_endpoint_auth_method="client_secret_basic",
    )

try:
    token = session.fetch_token(token_endpoint, grant_type="client_credentials")
except OAuthError as refused:
    # authlib raises the RFC 6749 error code as `error`.
    print(f"refused: {refused.error}: {refused.description}", file=sys.stderr)
    sys.exit(1)
print(token["access_token"])
