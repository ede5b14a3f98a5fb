"""Schemathesis hooks for the Services Manager (loaded by scripts/schemathesis/manager.toml).

The manager has two kinds of clients: partners' systems (the partner's API key, security scheme
`api_key`) and fleet agents (an enrolled agent's own credential, `agent_credential`). The script
makes both: `SA_ST_MANAGER_API_KEY`, and an agent it creates and enrols
(`SA_ST_AGENT_CREDENTIAL`); manager.toml gives each operation the one its document names.

Two operations need data schemathesis cannot make up, so their positive (schema-valid) cases get it
here, as a real client has it:
- `POST /api/v1/agents`: the id of an existing customer (`SA_ST_CUSTOMER_ID`), or every case would
  be "no such customer" (404);
- `POST /api/v1/agents/enroll`: a fresh one-time enrolment token (an agent made for the case with
  the partner's API key), or every case would be "unknown token" (401).

And one check: `POST /api/v1/agents/readings` takes a batch whose envelope is right and judges
each reading on its own (a bad reading is refused in the receipt, the others are stored, so an
agent's queue never sticks on one bad reading). The stock negative_data_rejection check expects a
4xx for the whole request; `filter_failure` drops its failure for this operation's 200 answers
only, and `readings_are_judged_as_the_document_says` checks those more closely instead: the
envelope matches the document, every reading the document calls valid is stored (or a duplicate)
and every reading it calls invalid is rejected. One rule of a reading has no JSON Schema keyword (a
meter id at most once per reading: uniqueItems compares whole items) and counts here as the
document's (its description says it).
"""

import os
import uuid

import jsonschema
import requests
import schemathesis

READINGS = ("POST", "/api/v1/agents/readings")
ENROLL = ("POST", "/api/v1/agents/enroll")
CREATE_AGENT = ("POST", "/api/v1/agents")


def _op(case):
    return (case.operation.method.upper(), case.operation.path)


def _positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    op = _op(case)
    if op not in (ENROLL, CREATE_AGENT) or not _positive(case) or not isinstance(case.body, dict):
        return
    if op == CREATE_AGENT:
        case.body["customer_id"] = os.environ["SA_ST_CUSTOMER_ID"]
        return
    base = case.operation.base_url.rstrip("/")
    made = requests.post(
        f"{base}/api/v1/agents",
        json={"customer_id": os.environ["SA_ST_CUSTOMER_ID"], "name": "schemathesis enrol"},
        headers={"Authorization": f"Bearer {os.environ['SA_ST_MANAGER_API_KEY']}"},
        timeout=10,
    )
    made.raise_for_status()
    case.body["token"] = made.json()["enrol_token"]


_VALIDATORS = {}


def _validator(raw, name):
    if name not in _VALIDATORS:
        schema = {"$ref": f"#/components/schemas/{name}", "components": raw["components"]}
        _VALIDATORS[name] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
    return _VALIDATORS[name]


def _same_id(a, b):
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    # Only ST201 on a 200 batch: readings_are_judged_as_the_document_says checks those.
    return not (
        _op(case) == READINGS and failure.code == "ST201" and response.status_code == 200
    )


def _twice(reading):
    """A meter id that appears more than once in the reading (a rule JSON Schema cannot state)."""
    meters = reading.get("meters")
    if not isinstance(meters, list):
        return None
    ids = [m["id"].strip() for m in meters if isinstance(m, dict) and isinstance(m.get("id"), str)]
    return next((i for i in ids if ids.count(i) > 1), None)


@schemathesis.check
def readings_are_judged_as_the_document_says(ctx, response, case):
    if _op(case) != READINGS or response.status_code != 200:
        return None
    raw = case.operation.schema.raw_schema
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("readings"), list):
        raise AssertionError("a batch without a list of readings was taken (200)")
    envelope = dict(body, readings=[])
    problem = next(_validator(raw, "ReadingBatch").iter_errors(envelope), None)
    if problem is not None:
        raise AssertionError(
            f"a batch the document refuses was taken (200): {problem.json_path}: {problem.message}"
        )
    results = response.json()["results"]
    readings = body["readings"]
    if len(results) != len(readings):
        raise AssertionError(f"{len(readings)} readings sent, {len(results)} results")
    for i, (reading, result) in enumerate(zip(readings, results)):
        if not _same_id(reading.get("reading_id"), result["reading_id"]):
            raise AssertionError(f"results[{i}] is not about readings[{i}]")
        problem = next(_validator(raw, "Reading").iter_errors(reading), None)
        if problem is None and _twice(reading) is not None:
            problem = "meters: the id {!r} more than once".format(_twice(reading))
        elif problem is not None:
            problem = f"{problem.json_path}: {problem.message}"
        rejected = result["outcome"] == "rejected"
        detail = result.get("detail") or ""
        if problem is None and rejected and "belongs to another customer" not in detail:
            raise AssertionError(
                f"readings[{i}] matches the document but was rejected: {detail}"
            )
        if problem is not None and not rejected:
            raise AssertionError(
                f"readings[{i}] breaks the document ({problem}) "
                f"but was {result['outcome']}"
            )
    return True
