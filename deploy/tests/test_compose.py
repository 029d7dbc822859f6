"""Static checks of docker-compose.yml, the Dockerfiles and .dockerignore (no Docker engine)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev group
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = REPO_ROOT.parent / "shared/schemas/compose-spec.json"

# service -> (gRPC port, HTTP port), ARCHITECTURE.md §8.
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
MIGRATE_COMMAND = ["migrate"]


DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"


def member_dir(app: str) -> Path:
    return REPO_ROOT / ("gateway" if app == "gateway" else f"services/{app}")


def build_args(app: str) -> dict[str, str]:
    """The build arguments that make the one Dockerfile build `app`."""
    if app == "gateway":
        return {"SERVICE": "gateway", "MEMBER_DIR": "gateway", "HTTP_PORT": str(GATEWAY_HTTP_PORT)}
    grpc, http = SERVICES[app]
    return {"SERVICE": app, "HTTP_PORT": str(http), "GRPC_PORT": str(grpc)}


def app_dockerfile(app: str) -> Dockerfile:
    return parse_dockerfile(DOCKERFILE, build_args(app))


# ------------------------------------------------------------------ compose --


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    svcs = compose["services"]
    assert isinstance(svcs, dict)
    return svcs


def is_one_shot(svc: dict[str, Any]) -> bool:
    return svc.get("command") == MIGRATE_COMMAND


def env_of(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    assert isinstance(env, dict), "use the mapping form of `environment`"
    return {str(k): str(v) for k, v in env.items()}


def test_compose_file_validates_against_compose_spec(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_long_running_service_has_a_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, svc in services.items():
        if is_one_shot(svc):
            continue
        check = svc.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert check.get("test"), f"{name} healthcheck has no test"


def test_depends_on_waits_for_health_or_successful_migration(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: depends_on must use the long form with conditions"
        for target, spec in deps.items():
            assert target in services, f"{name} depends on unknown service {target}"
            expected = (
                "service_completed_successfully"
                if is_one_shot(services[target])
                else "service_healthy"
            )
            assert spec.get("condition") == expected, f"{name} -> {target}"


def test_one_postgres_per_service_and_gateway(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = {
        n: s
        for n, s in services.items()
        if str(s.get("image", "")).startswith("postgres:") and not s.get("profiles")
    }
    assert set(postgres) == {f"{app}-db" for app in APPS}
    volumes_used: set[str] = set()
    for name, svc in postgres.items():
        assert svc["image"] == "postgres:16-alpine"
        assert "pg_isready" in " ".join(svc["healthcheck"]["test"]), name
        (volume,) = svc["volumes"]
        volume_name = volume.split(":")[0]
        assert volume_name in compose["volumes"], f"{name} volume is not a named volume"
        volumes_used.add(volume_name)
    assert len(volumes_used) == len(postgres), "databases share a volume"


def test_rabbitmq_has_management_and_ping_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    rabbit = services["rabbitmq"]
    assert rabbit["image"].startswith("rabbitmq:3.13")
    assert rabbit["image"].endswith("-management")
    assert rabbit["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]


@pytest.mark.parametrize("app", APPS)
def test_app_runs_after_its_database_broker_and_migration(
    app: str, services: dict[str, dict[str, Any]]
) -> None:
    svc, migrate = services[app], services[f"{app}-migrate"]
    assert migrate["command"] == MIGRATE_COMMAND
    assert migrate["image"] == svc["image"]
    assert migrate["build"] == svc["build"]
    assert migrate["build"]["dockerfile"] == str(DOCKERFILE.relative_to(REPO_ROOT))
    assert migrate["build"]["args"] == build_args(app)
    assert migrate["depends_on"] == {f"{app}-db": {"condition": "service_healthy"}}
    assert svc["depends_on"][f"{app}-db"] == {"condition": "service_healthy"}
    assert svc["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}
    assert svc["depends_on"][f"{app}-migrate"] == {"condition": "service_completed_successfully"}
    assert env_of(migrate) == env_of(svc), "migrate must see the same settings as the service"


@pytest.mark.parametrize("app", APPS)
def test_app_environment_points_at_its_own_database_and_ports(
    app: str, services: dict[str, dict[str, Any]]
) -> None:
    env, prefix = env_of(services[app]), app.upper()
    url = urlsplit(env[f"{prefix}_DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert (url.hostname, url.port, url.path) == (f"{app}-db", 5432, f"/{app}")
    db_env = env_of(services[f"{app}-db"])
    assert (url.username, url.password) == (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    amqp = urlsplit(env["CYPHER_AMQP_URL"])
    assert (amqp.scheme, amqp.hostname, amqp.port) == ("amqp", "rabbitmq", 5672)
    assert env["CYPHER_EVENTS_EXCHANGE"] == "cypher.events"
    assert env["OTEL_SERVICE_NAME"] == app
    if app == "gateway":
        assert env["GATEWAY_HTTP_PORT"] == str(GATEWAY_HTTP_PORT)
    else:
        grpc, http = SERVICES[app]
        assert (env[f"{prefix}_GRPC_PORT"], env[f"{prefix}_HTTP_PORT"]) == (str(grpc), str(http))


def test_upstream_addresses_name_compose_services_and_grpc_ports(
    services: dict[str, dict[str, Any]],
) -> None:
    seen = 0
    for name, svc in services.items():
        for key, value in env_of(svc).items():
            match = re.fullmatch(r"CYPHER_([A-Z]+)_ADDR", key)
            if not match:
                continue
            target = match.group(1).lower()
            host, port = value.rsplit(":", 1)
            assert host == target, f"{name}: {key}={value}"
            assert host in services, f"{name}: {key}={value}"
            assert int(port) == SERVICES[target][0], f"{name}: {key}={value}"
            seen += 1
    assert seen >= len(SERVICES), "the gateway needs every upstream address"


def test_gateway_waits_for_every_service_and_publishes_8000(
    services: dict[str, dict[str, Any]],
) -> None:
    gateway = services["gateway"]
    for svc in SERVICES:
        assert gateway["depends_on"][svc] == {"condition": "service_healthy"}
    assert [str(p) for p in gateway["ports"]] == [f"{GATEWAY_HTTP_PORT}:{GATEWAY_HTTP_PORT}"]


def test_gateway_secrets_are_overridable_with_dev_defaults(
    services: dict[str, dict[str, Any]],
) -> None:
    env = env_of(services["gateway"])
    for key in ("GATEWAY_JWT_SECRET", "CYPHER_ADMIN_EMAIL", "CYPHER_ADMIN_PASSWORD"):
        assert re.fullmatch(rf"\$\{{{key}:-[^}}]+\}}", env[key]), f"{key}={env[key]}"


def test_app_healthchecks_use_the_url_the_images_define(
    services: dict[str, dict[str, Any]],
) -> None:
    for app in APPS:
        test = " ".join(services[app]["healthcheck"]["test"])
        assert "CYPHER_HEALTH_URL" in test, app
        assert "urllib" in test, app
        assert "CYPHER_HEALTH_URL" in app_dockerfile(app).final.env


# --------------------------------------------------------------- Dockerfiles --


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def args_of(self, instruction: str) -> list[str]:
        return [args for instr, args in self.instructions if instr == instruction]


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def expand(self, text: str) -> str:
        for _ in range(5):  # an ARG default may name another ARG
            expanded = re.sub(
                r"\$\{(\w+)\}|\$(\w+)",
                lambda m: self.global_args.get(m.group(1) or m.group(2), m.group(0)),
                text,
            )
            if expanded == text:
                break
            text = expanded
        return text


def parse_dockerfile(path: Path, build_args: dict[str, str] | None = None) -> Dockerfile:
    """Enough of the Dockerfile grammar for these checks: continuations, comments, stages;
    `build_args` override the global ARG defaults as `--build-arg` does."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, f"{path}: dangling line continuation"
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        instr, _, args = line.partition(" ")
        instr, args = instr.upper(), args.strip()
        if instr == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        elif not stages:
            assert instr == "ARG", f"{path}: only ARG may precede FROM, got {instr}"
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append((instr, args))
            if instr == "ENV":
                for key, value in re.findall(r"(\w+)=(\S+)", args):
                    stages[-1].env[key] = value
    for key, value in (build_args or {}).items():
        assert key in global_args, f"{path}: no global ARG {key}"
        global_args[key] = value
    return Dockerfile(global_args, stages)


@pytest.mark.parametrize("app", APPS)
def test_dockerfile_builds_with_uv_and_generates_protos(app: str) -> None:
    dockerfile = app_dockerfile(app)
    assert dockerfile.global_args["SERVICE"] == app
    stages = dockerfile.stages
    python_stages = [s for s in stages if dockerfile.expand(s.base) == "python:3.11-slim"]
    assert len(python_stages) >= 2, "builder and runtime must both be python:3.11-slim"
    names = {s.name for s in stages}
    builder = next(s for s in stages if s.name == "builder")
    copies = " ".join(builder.args_of("COPY"))
    assert re.search(r"--from=(\S+) /uv /bin/uv", copies)
    uv_source = re.search(r"--from=(\S+) /uv /bin/uv", copies)
    assert uv_source is not None
    uv_stage = next((s for s in stages if s.name == uv_source.group(1)), None)
    uv_image = uv_stage.base if uv_stage else uv_source.group(1)
    assert uv_image == "ghcr.io/astral-sh/uv:0.13"
    assert builder.env.get("UV_COMPILE_BYTECODE") == "1"
    assert builder.env.get("UV_LINK_MODE") == "copy"
    runs = builder.args_of("RUN")
    assert all("--mount=type=cache" in r for r in runs if "uv " in r), "uv runs use a cache mount"
    assert any("scripts/gen_protos.sh" in r and "grpcio-tools" in r for r in runs)
    assert any("--no-install-workspace" in r for r in runs), "dependency layer first"
    final_sync = [r for r in runs if "uv sync" in r and "--no-install-workspace" not in r]
    assert len(final_sync) == 1
    for flag in ("--frozen", "--no-dev", "--no-editable", '--package "cypher-${SERVICE}"'):
        assert flag in final_sync[0]
    # The lock and the pyprojects are copied before any source, for layer caching.
    first_source_copy = next(
        i
        for i, (ins, a) in enumerate(builder.instructions)
        if ins == "COPY" and "pyproject.toml" not in a and "uv.lock" not in a and "/bin/uv" not in a
    )
    first_sync = next(
        i for i, (ins, a) in enumerate(builder.instructions) if ins == "RUN" and "uv sync" in a
    )
    assert first_sync < first_source_copy
    for stage in stages:
        for copy in stage.args_of("COPY"):
            source = re.search(r"--from=(\S+)", copy)
            if source and not source.group(1).count("/"):
                assert source.group(1) in names, f"COPY --from unknown stage {source.group(1)}"


@pytest.mark.parametrize("app", APPS)
def test_dockerfile_runtime_stage_is_minimal_non_root_and_healthchecked(app: str) -> None:
    dockerfile = app_dockerfile(app)
    final = dockerfile.final
    assert final.name != "builder"
    assert len(dockerfile.stages) >= 2
    (user,) = final.args_of("USER")
    assert user.split(":")[0] not in {"root", "0"}
    assert user.split(":")[0] == "10001"
    assert "/app/.venv/bin" in final.env["PATH"]
    copies = final.args_of("COPY")
    assert all(c.startswith("--from=builder ") for c in copies), "runtime copies only from builder"
    # The venv holds everything, migrations included (they ship inside the wheel).
    assert [c.split()[1:] for c in copies] == [["/app/.venv", "/app/.venv"]]
    (healthcheck,) = final.args_of("HEALTHCHECK")
    assert "urllib" in healthcheck
    assert "CYPHER_HEALTH_URL" in healthcheck
    assert final.env["CYPHER_HEALTH_URL"] == "http://127.0.0.1:${HTTP_PORT}/health"
    exposed = {dockerfile.expand(p) for p in " ".join(final.args_of("EXPOSE")).split()} - {""}
    if app == "gateway":
        assert dockerfile.global_args["HTTP_PORT"] == str(GATEWAY_HTTP_PORT)
        assert exposed == {str(GATEWAY_HTTP_PORT)}
    else:
        grpc, http = SERVICES[app]
        assert dockerfile.global_args["HTTP_PORT"] == str(http)
        assert exposed == {str(grpc), str(http)}
    # The entrypoint is a link to the app's console script, made where the app is installed.
    assert final.args_of("ENTRYPOINT") == [json.dumps(["cypher-app"])]
    builder = next(s for s in dockerfile.stages if s.name == "builder")
    link = 'ln -s "${SERVICE}" /app/.venv/bin/cypher-app'
    assert any(link in r and "uv sync" in r for r in builder.args_of("RUN"))
    assert final.args_of("CMD") == ['["serve"]']


def test_one_dockerfile_builds_every_app_and_refuses_to_build_none() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [p for p in tracked if Path(p).name.startswith("Dockerfile")] == ["deploy/Dockerfile"]
    bare = parse_dockerfile(DOCKERFILE)
    assert bare.global_args["SERVICE"] == ""
    builder = next(s for s in bare.stages if s.name == "builder")
    guard = builder.args_of("RUN")[0]
    assert 'test -n "${SERVICE}"' in guard
    assert 'test -n "${HTTP_PORT}"' in guard
    assert "exit 1" in guard


def test_compose_builds_every_app_from_the_one_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    for app in APPS:
        assert services[app]["build"] == {
            "context": ".",
            "dockerfile": "deploy/Dockerfile",
            "args": build_args(app),
        }


@pytest.mark.parametrize("app", APPS)
def test_migrations_ship_inside_the_package_wheel(app: str) -> None:
    """The image has no source tree: `<app> migrate` must find its scripts in the wheel."""
    member = member_dir(app)
    assert (member / "src" / app / "migrations" / "env.py").is_file()
    pyproject = (member / "pyproject.toml").read_text()
    assert f'packages = ["src/{app}"]' in pyproject
    assert re.search(rf'^{app} = "{app}\.main:cli"$', pyproject, re.MULTILINE), "console script"


def test_dockerfiles_copy_every_workspace_member_pyproject() -> None:
    root = REPO_ROOT / "pyproject.toml"
    members = re.findall(r'"((?:libs|services)/\w+|gateway)"', root.read_text())
    assert len(members) >= len(APPS)
    text = DOCKERFILE.read_text()
    for member in members:
        assert f"COPY {member}/pyproject.toml {member}/" in text, member


def test_dockerignore_keeps_local_state_and_tests_out_of_the_context() -> None:
    patterns = {
        ln.strip()
        for ln in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    for required in (
        ".git",
        ".venv",
        "**/__pycache__",
        "node_modules",
        "**/tests",
        "libs/contracts/src/cypher",
    ):
        assert required in patterns, required
    # uv needs every member's pyproject to read the workspace.
    for forbidden in ("libs", "libs/testkit", "**/pyproject.toml", "uv.lock", "protos", "scripts"):
        assert forbidden not in patterns, forbidden


def test_local_infrastructure_is_a_profile_on_loopback_only(
    services: dict[str, dict[str, Any]],
) -> None:
    """scripts/infra.py starts these alone; `compose up` of the stack never does."""
    infra = {n: s for n, s in services.items() if s.get("profiles")}
    assert set(infra) == {"dev-postgres", "dev-rabbitmq"}
    assert all(s["profiles"] == ["dev-infra"] for s in infra.values())
    assert infra["dev-postgres"]["ports"] == ["127.0.0.1:5432:5432"]
    assert infra["dev-rabbitmq"]["ports"] == ["127.0.0.1:5672:5672"]
    for name in APPS:
        assert not set(services[name].get("depends_on", {})) & set(infra), name
