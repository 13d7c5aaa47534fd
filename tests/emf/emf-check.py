#!/usr/bin/env python3
"""emf-check.py SCHEMA [FILE] - checks CloudWatch EMF documents, one JSON
object per line (FILE or standard input), against SCHEMA (emf.schema.json),
then what a schema cannot say: every dimension key and metric name of each
MetricDirective is a member of the root, a dimension's value is a string and
a metric's value a MetricTarget; a distribution's Counts are as many as its
Values and add up to its Count, and Min <= every value <= Max.

Prints one line per problem (line number, what) and exits 1 if there is any,
2 if jsonschema is missing; 0 and "N documents OK" otherwise."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("emf-check: the python3 jsonschema module is missing (apt-get install python3-jsonschema)",
          file=sys.stderr)
    sys.exit(2)


def sub_validator(schema, name):
    return jsonschema.Draft7Validator({"$ref": "#/definitions/" + name,
                                       "definitions": schema["definitions"]})


def check(doc, validators, problems, where):
    root, dim_v, metric_v = validators
    for e in root.iter_errors(doc):
        problems.append(f"{where}: {'/'.join(map(str, e.path)) or 'root'}: {e.message}")
    if problems:
        return
    for d in doc["_aws"]["CloudWatchMetrics"]:
        for dims in d["Dimensions"]:
            for k in dims:
                if k not in doc:
                    problems.append(f"{where}: dimension {k!r} is not a member of the root")
                else:
                    for e in dim_v.iter_errors(doc[k]):
                        problems.append(f"{where}: dimension {k!r}: {e.message}")
        for m in d["Metrics"]:
            name = m["Name"]
            if name not in doc:
                problems.append(f"{where}: metric {name!r} is not a member of the root")
                continue
            v = doc[name]
            errs = list(metric_v.iter_errors(v))
            for e in errs:
                problems.append(f"{where}: metric {name!r}: {e.message}")
            if errs or not isinstance(v, dict):
                continue
            if len(v["Values"]) != len(v["Counts"]):
                problems.append(f"{where}: metric {name!r}: {len(v['Values'])} Values but "
                                f"{len(v['Counts'])} Counts")
            if sum(v["Counts"]) != v["Count"]:
                problems.append(f"{where}: metric {name!r}: Counts add up to {sum(v['Counts'])}, "
                                f"Count is {v['Count']}")
            if any(x < v["Min"] or x > v["Max"] for x in v["Values"]):
                problems.append(f"{where}: metric {name!r}: a value outside [Min, Max]")


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: emf-check.py SCHEMA [FILE]", file=sys.stderr)
        sys.exit(64)
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validators = (jsonschema.Draft7Validator(schema), sub_validator(schema, "DimensionTarget"),
                  sub_validator(schema, "MetricTarget"))
    src = open(sys.argv[2]) if len(sys.argv) == 3 else sys.stdin
    problems, n = [], 0
    for i, line in enumerate(src, 1):
        if not line.strip():
            continue
        n += 1
        try:
            doc = json.loads(line)
        except ValueError as e:
            problems.append(f"line {i}: not JSON: {e}")
            continue
        check(doc, validators, problems, f"line {i}")
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"{n} documents OK")


main()
