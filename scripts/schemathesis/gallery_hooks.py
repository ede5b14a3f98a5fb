"""Schemathesis hooks for the App Gallery (loaded by schemathesis.toml's "App Gallery" project).

`POST /api/apps/{app_id}/versions` takes `application/zip`, which schemathesis cannot generate
by itself. A JSON Schema cannot say "a zip holding manifest.json and the files it names", so
random bytes would only ever test the "not a zip" answer. This strategy sends real `.weblet`
packages (manifest + entry page) with generated app ids and versions, some with a broken
manifest, so the run reaches publishing (201), the duplicate version (409) and the package
rules (422). (Bytes that are not a zip, 400, are the gallery's own tests' job: for schemathesis
every body of this strategy is schema-valid.)
"""

import io
import json
import zipfile

import schemathesis
from hypothesis import strategies as st

_APP_IDS = st.sampled_from(["support-assistant", "st-app", "st.other_app"])
_VERSIONS = st.builds(
    "{}.{}.{}".format,
    st.integers(0, 3),
    st.integers(0, 20),
    st.integers(0, 999),
)


def _weblet(app_id: str, version: str, entry_present: bool) -> bytes:
    manifest = {
        "app_id": app_id,
        "version": version,
        "name": "schemathesis",
        "entry": "index.html",
        "services": ["/webservices/SNMP/1"],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        if entry_present:
            archive.writestr("index.html", "<!doctype html><title>t</title>")
    return buffer.getvalue()


_PACKAGES = st.builds(_weblet, _APP_IDS, _VERSIONS, st.booleans())

schemathesis.openapi.media_type(
    "application/zip",
    _PACKAGES,
)
