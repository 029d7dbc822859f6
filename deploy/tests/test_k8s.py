"""Static checks of the kustomize tree in k8s/ (schemas from kubernetes-validate, no cluster)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "k8s"
BASE = K8S / "base"
OVERLAYS = ["dev", "prod"]
KUBERNETES_VERSION = "1.30"

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
# Who may call whom over gRPC (ARCHITECTURE.md §2, "called by").
GRPC_CALLERS: dict[str, set[str]] = {
    "pricing": {"gateway", "orders", "quotations"},
    "inventory": {"gateway", "orders"},
    "orders": {"gateway", "quotations"},
    "quotations": {"gateway"},
    "suppliers": {"gateway"},
    "integration": {"gateway", "orders"},
}
BUILTIN_API_VERSIONS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
}
CUSTOM_RESOURCES = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
}
PER_APP_KINDS = {
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ConfigMap",
    "Job",
    "Cluster",
}

Doc = dict[str, Any]


def load_docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def kustomizations() -> list[Path]:
    found = sorted(K8S.rglob("kustomization.yaml"))
    assert found, "no kustomization.yaml under k8s/"
    return found


def kustomization_refs(path: Path) -> tuple[list[Path], list[Path]]:
    """(resources, patch files) a kustomization.yaml names, resolved to paths."""
    data = yaml.safe_load(path.read_text())
    resources = [path.parent / r for r in data.get("resources", [])]
    patches = [path.parent / p["path"] for p in data.get("patches", []) if "path" in p]
    patches += [path.parent / p for p in data.get("patchesStrategicMerge", [])]
    return resources, patches


def resource_files() -> list[Path]:
    files: list[Path] = []
    for kustomization in kustomizations():
        files += [r for r in kustomization_refs(kustomization)[0] if r.is_file()]
    return sorted(set(files))


def base_docs() -> list[tuple[Path, Doc]]:
    return [(f, d) for f in resource_files() for d in load_docs(f.read_text())]


def app_docs(app: str) -> dict[str, Doc]:
    docs = [d for f, d in base_docs() if f.parent == BASE / app]
    by_kind = {d["kind"]: d for d in docs}
    assert len(by_kind) == len(docs), f"{app}: more than one document of a kind"
    return by_kind


def http_port(app: str) -> int:
    return GATEWAY_HTTP_PORT if app == "gateway" else SERVICES[app][1]


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def is_builtin(doc: Doc) -> bool:
    return doc["apiVersion"] in BUILTIN_API_VERSIONS


def validate_builtin(doc: Doc) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def check_custom_resource(doc: Doc) -> None:
    key = (doc["apiVersion"], doc["kind"])
    assert key in CUSTOM_RESOURCES, f"unexpected kind {key}"
    spec = doc["spec"]
    assert doc["metadata"]["name"]
    if doc["kind"] == "Cluster":
        assert isinstance(spec["instances"], int)
        assert spec["instances"] >= 1
        assert re.fullmatch(r"\d+[MGT]i", spec["storage"]["size"])
        initdb = spec["bootstrap"]["initdb"]
        assert initdb["database"]
        assert initdb["owner"]
        assert initdb["secret"]["name"]
    else:
        assert isinstance(spec["replicas"], int)
        assert spec["replicas"] >= 1
        assert spec["image"].startswith("rabbitmq:")
        assert "management" in spec["image"]
        assert re.fullmatch(r"\d+[MGT]i", spec["persistence"]["storage"])


# ------------------------------------------------------------------ structure --


def test_kustomizations_reference_existing_files() -> None:
    for kustomization in kustomizations():
        resources, patches = kustomization_refs(kustomization)
        for ref in resources:
            exists = ref.is_file() or (ref / "kustomization.yaml").is_file()
            assert exists, f"{kustomization}: {ref}"
        for ref in patches:
            assert ref.is_file(), f"{kustomization}: patch {ref}"


def test_every_manifest_file_is_used_by_a_kustomization() -> None:
    used: set[Path] = set()
    for kustomization in kustomizations():
        resources, patches = kustomization_refs(kustomization)
        used |= {p.resolve() for p in [*resources, *patches, kustomization]}
    all_yaml = {p.resolve() for p in K8S.rglob("*.yaml")}
    assert all_yaml - used == set()


def test_base_includes_every_app_and_the_broker() -> None:
    resources, _ = kustomization_refs(BASE / "kustomization.yaml")
    names = {r.name for r in resources}
    assert set(APPS) <= names
    kinds = {d["kind"] for _, d in base_docs()}
    assert {"Namespace", "RabbitmqCluster"} <= kinds


# ----------------------------------------------------------------- validation --


@pytest.mark.parametrize("path", resource_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_manifest_validates(path: Path) -> None:
    docs = load_docs(path.read_text())
    assert docs, f"{path} is empty"
    for doc in docs:
        if is_builtin(doc):
            validate_builtin(doc)
        else:
            check_custom_resource(doc)


def test_validation_rejects_a_broken_deployment() -> None:
    """Guards the guard: strict schema validation must catch a misspelt field."""
    deployment = app_docs("pricing")["Deployment"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    pod_spec(broken)["containers"][0]["livenesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_builtin(broken)


# ----------------------------------------------------------------- per app --


@pytest.mark.parametrize("app", APPS)
def test_app_has_every_resource_kind(app: str) -> None:
    assert set(app_docs(app)) == PER_APP_KINDS


@pytest.mark.parametrize("app", APPS)
def test_deployment_probes_resources_and_security(app: str) -> None:
    docs = app_docs(app)
    deployment = docs["Deployment"]
    spec = pod_spec(deployment)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    assert container["image"] == f"cypher/{app}"
    assert container["args"] == ["serve"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"/tmp"} <= {m["mountPath"] for m in container["volumeMounts"]}
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), bound
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert liveness["httpGet"] == {"path": "/health", "port": "http"}
    assert ports["http"] == http_port(app)
    if app == "gateway":
        assert readiness["httpGet"] == {"path": "/ready", "port": "http"}
    else:
        grpc = SERVICES[app][0]
        assert ports["grpc"] == grpc
        assert readiness["grpc"]["port"] == grpc
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("app", APPS)
def test_configuration_comes_from_configmaps_and_secrets(app: str) -> None:
    docs = app_docs(app)
    prefix = app.upper()
    for workload in (docs["Deployment"], docs["Job"]):
        (container,) = pod_spec(workload)["containers"]
        refs = {r["configMapRef"]["name"] for r in container["envFrom"]}
        assert refs == {"cypher-common", f"{app}-config"}
        env = {e["name"]: e for e in container["env"]}
        for name in (f"{prefix}_DATABASE_URL", "CYPHER_AMQP_URL"):
            assert "value" not in env[name], f"{name} must not be inline"
            assert env[name]["valueFrom"]["secretKeyRef"]["name"], name
        if app == "gateway":
            assert "secretKeyRef" in env["GATEWAY_JWT_SECRET"]["valueFrom"]
    config = docs["ConfigMap"]["data"]
    assert config["OTEL_SERVICE_NAME"] == app
    assert config[f"{prefix}_HTTP_PORT"] == str(http_port(app))
    if app != "gateway":
        assert config[f"{prefix}_GRPC_PORT"] == str(SERVICES[app][0])
    for key, value in config.items():
        match = re.fullmatch(r"CYPHER_([A-Z]+)_ADDR", key)
        if match:
            target = match.group(1).lower()
            assert value == f"{target}:{SERVICES[target][0]}", key


def test_callers_know_the_addresses_of_what_they_call() -> None:
    for callee, callers in GRPC_CALLERS.items():
        for caller in callers:
            config = app_docs(caller)["ConfigMap"]["data"]
            assert f"CYPHER_{callee.upper()}_ADDR" in config, f"{caller} -> {callee}"


@pytest.mark.parametrize("app", APPS)
def test_service_exposes_grpc_and_http(app: str) -> None:
    docs = app_docs(app)
    service = docs["Service"]
    assert service["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    expected = {"http": http_port(app)}
    if app != "gateway":
        expected["grpc"] = SERVICES[app][0]
    assert ports == expected


@pytest.mark.parametrize("app", APPS)
def test_hpa_and_pdb_cover_the_deployment(app: str) -> None:
    docs = app_docs(app)
    hpa, pdb = docs["HorizontalPodAutoscaler"], docs["PodDisruptionBudget"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", app)
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    selector = docs["Deployment"]["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["selector"]["matchLabels"] == selector


@pytest.mark.parametrize("app", list(SERVICES))
def test_network_policy_admits_only_documented_grpc_callers(app: str) -> None:
    docs = app_docs(app)
    policy = docs["NetworkPolicy"]["spec"]
    assert (
        policy["podSelector"]["matchLabels"]
        == docs["Deployment"]["spec"]["selector"]["matchLabels"]
    )
    assert policy["policyTypes"] == ["Ingress"]
    grpc, http = SERVICES[app]
    by_port: dict[int, list[Doc]] = {}
    for rule in policy["ingress"]:
        assert rule.get("from"), "an ingress rule without `from` admits everyone"
        for port in rule["ports"]:
            by_port.setdefault(port["port"], []).extend(rule["from"])
    assert set(by_port) == {grpc, http}
    callers = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in by_port[grpc]
    }
    assert callers == GRPC_CALLERS[app]
    assert all(set(peer) == {"podSelector"} for peer in by_port[grpc])
    assert by_port[http] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]


@pytest.mark.parametrize("app", APPS)
def test_migration_job_runs_migrate_once_and_expires(app: str) -> None:
    docs = app_docs(app)
    job = docs["Job"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    assert job["spec"]["backoffLimit"] >= 1
    spec = pod_spec(job)
    assert spec["restartPolicy"] in {"Never", "OnFailure"}
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert container["args"] == ["migrate"]
    assert container["image"] == pod_spec(docs["Deployment"])["containers"][0]["image"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    selector = docs["Deployment"]["spec"]["selector"]["matchLabels"]
    assert not selector.items() <= job_labels.items(), "migrate pods must not look like servers"


@pytest.mark.parametrize("app", APPS)
def test_each_app_has_its_own_postgres_cluster(app: str) -> None:
    cluster = app_docs(app)["Cluster"]
    check_custom_resource(cluster)
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["metadata"]["name"] == f"{app}-db"
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    assert (initdb["database"], initdb["owner"]) == (app, app)


def test_rabbitmq_cluster() -> None:
    (rabbit,) = [d for _, d in base_docs() if d["kind"] == "RabbitmqCluster"]
    assert rabbit["apiVersion"] == "rabbitmq.com/v1beta1"
    check_custom_resource(rabbit)
    assert rabbit["spec"]["replicas"] >= 3, "quorum queues need a majority of three"


# -------------------------------------------------------------- rendered --

KUBECTL = shutil.which("kubectl")
# Rendering needs kustomize (kubectl's). A machine without it skips these checks with
# this exact reason, which scripts/expected_skips.txt lists: any other skip fails the run.
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (kustomize) not installed")


def render(target: Path) -> list[Doc]:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return load_docs(result.stdout)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Doc]]:
    return {name: render(K8S / "overlays" / name) for name in OVERLAYS} | {"base": render(BASE)}


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@needs_kubectl
@pytest.mark.parametrize("target", ["base", *OVERLAYS])
def test_rendered_output_validates(target: str, rendered: dict[str, list[Doc]]) -> None:
    docs = rendered[target]
    for doc in docs:
        if is_builtin(doc):
            validate_builtin(doc)
        else:
            check_custom_resource(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "cypher", doc["metadata"]["name"]
    assert set(by_kind(docs, "Deployment")) == set(APPS)


@needs_kubectl
def test_overlays_scale_dev_down_and_prod_up(rendered: dict[str, list[Doc]]) -> None:
    dev_hpa = by_kind(rendered["dev"], "HorizontalPodAutoscaler")
    prod_hpa = by_kind(rendered["prod"], "HorizontalPodAutoscaler")
    assert set(dev_hpa) == set(prod_hpa) == set(APPS)
    for app in APPS:
        assert dev_hpa[app]["spec"]["minReplicas"] == 1
        assert prod_hpa[app]["spec"]["minReplicas"] == 3
        assert prod_hpa[app]["spec"]["maxReplicas"] > dev_hpa[app]["spec"]["maxReplicas"]
    for name, cluster in by_kind(rendered["prod"], "Cluster").items():
        assert cluster["spec"]["instances"] == 3, name
    for name, cluster in by_kind(rendered["dev"], "Cluster").items():
        assert cluster["spec"]["instances"] == 1, name
    dev_cpu = pod_spec(by_kind(rendered["dev"], "Deployment")["pricing"])["containers"][0]
    prod_cpu = pod_spec(by_kind(rendered["prod"], "Deployment")["pricing"])["containers"][0]
    assert dev_cpu["resources"] != prod_cpu["resources"]


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_images_are_tagged(overlay: str, rendered: dict[str, list[Doc]]) -> None:
    for kind in ("Deployment", "Job"):
        for name, doc in by_kind(rendered[overlay], kind).items():
            image = pod_spec(doc)["containers"][0]["image"]
            tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert tag, f"{overlay} {kind}/{name}: {image}"
            assert tag != "latest", f"{overlay} {kind}/{name}: {image}"
            if overlay == "prod":
                assert re.fullmatch(r"\d+\.\d+\.\d+", tag), image


@needs_kubectl
def test_dev_overlay_generates_every_secret_the_workloads_need(
    rendered: dict[str, list[Doc]],
) -> None:
    docs = rendered["dev"]
    secrets = {name: set(d.get("data", {})) for name, d in by_kind(docs, "Secret").items()}
    for kind in ("Deployment", "Job"):
        for name, doc in by_kind(docs, kind).items():
            for env in pod_spec(doc)["containers"][0]["env"]:
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["key"] in secrets.get(ref["name"], set()), f"{kind}/{name}: {ref}"
    for name, cluster in by_kind(docs, "Cluster").items():
        secret = cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"]
        assert secrets.get(secret) == {"username", "password"}, name
    assert by_kind(docs, "ConfigMap")["cypher-common"]["data"]["CYPHER_ENV"] == "development"


@needs_kubectl
def test_dev_database_urls_match_the_cluster_credentials(rendered: dict[str, list[Doc]]) -> None:
    secrets = by_kind(rendered["dev"], "Secret")

    def decoded(name: str, key: str) -> str:
        return base64.b64decode(secrets[name]["data"][key]).decode()

    for app in APPS:
        url = urlsplit(decoded(f"{app}-secrets", "DATABASE_URL"))
        assert url.scheme == "postgresql+asyncpg"
        assert url.hostname == f"{app}-db-rw"
        assert url.path == f"/{app}"
        assert url.username == decoded(f"{app}-db-credentials", "username")
        assert url.password == decoded(f"{app}-db-credentials", "password")


@needs_kubectl
def test_prod_overlay_commits_no_secrets(rendered: dict[str, list[Doc]]) -> None:
    assert by_kind(rendered["prod"], "Secret") == {}
