"""A strict check of a real answer against its OpenAPI schema: every key the body has is described and
every required key is there (openapi-core lets undescribed keys pass), so a body and its schema cannot drift."""

_TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "number": (int, float)}


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _merged(doc: dict, schema: dict) -> dict:
    """An allOf's parts as one object schema (their properties and required keys together)."""
    schema = resolve(doc, schema)
    if "allOf" not in schema:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merged(doc, part)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def problems(doc: dict, schema: dict, value, where: str = "body") -> list[str]:
    schema = _merged(doc, schema)
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            found = [problems(doc, part, value, where) for part in schema[combined]]
            return [] if any(not f for f in found) else [f"{where}: matches none of {combined}: {found}"]
    kind = schema.get("type")
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null"]
    if kind in _TYPES and (not isinstance(value, _TYPES[kind]) or (kind == "integer" and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    found = []
    if isinstance(value, dict) and ("properties" in schema or "additionalProperties" in schema):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += problems(doc, properties[key], item, f"{where}.{key}")
            elif isinstance(extra, dict):
                found += problems(doc, extra, item, f"{where}.{key}")
            elif not extra:
                found.append(f"{where}.{key}: not described")
        found += [f"{where}.{key}: required, missing" for key in schema.get("required", []) if key not in value]
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            found += problems(doc, schema["items"], item, f"{where}[{n}]")
    return found


def answer_problems(doc: dict, path: str, method: str, response) -> list[str]:
    """The answer's body checked against the schema its operation documents for its status."""
    described = doc["paths"][path][method.lower()]["responses"][str(response.status_code)]
    content = described["content"]["application/json"]
    return problems(doc, content["schema"], response.json())
