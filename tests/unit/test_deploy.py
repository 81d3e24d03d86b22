"""The deployment files for several replicas on PostgreSQL agree with the code.

deploy/docker-compose.postgres.yml, deploy/monitor.postgres.yaml and deploy/kubernetes/ are
parsed (no docker, no cluster) and checked against what monitor actually does: the commands
they run are commands of `monitor`, the environment variables they set are ones monitor reads,
the config they mount loads and points at the rules they mount, the ConfigMap holds the
repository's current rules, and the user is the Dockerfile's.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from monitor.cli import main
from monitor.config import DATABASE_URL_ENV, Config, config_path, load_config, slack_token
from monitor.durations import parse_duration
from monitor.matching.rules import load_rules
from monitor.runtime.context import speakers_path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "docker-compose.postgres.yml"
PG_CONFIG = DEPLOY / "monitor.postgres.yaml"
RULES = REPO / "rules"
DOCKERFILE = REPO / "Dockerfile"

REPLICAS = 3
IMAGE = "monitor:latest"
SECRET = "monitor-secrets"
CONFIGMAP = "monitor-config"
CONFIG_KEY = "monitor.yaml"
RULE_SUFFIXES = (".yaml", ".yml")
PASSWORD = "s3cret"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# What the code and the image say


def _dockerfile(pattern: str) -> str:
    found = re.search(pattern, DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"Dockerfile: no match for {pattern!r}"
    return found.group(1)


def _image_config_path() -> PurePosixPath:
    """Where the image looks for monitor.yaml ($MONITOR_CONFIG set by the Dockerfile)."""
    return PurePosixPath(_dockerfile(r"\bMONITOR_CONFIG=(\S+)"))


def _image_uid() -> int:
    return int(_dockerfile(r"useradd\b[^\n]*--uid (\d+)"))


def _image_gid() -> int:
    return int(_dockerfile(r"groupadd\b[^\n]*--gid (\d+)"))


def _reads_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"postgresql://monitor:{PASSWORD}@db.example:5432/monitor"
    (tmp_path / "monitor.yaml").write_text("database: state.db\n", encoding="utf-8")
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    assert load_config(tmp_path / "monitor.yaml").database == url


def _reads_slack_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert slack_token(Config()) == "xoxb-test"


def _reads_config_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MONITOR_CONFIG", str(tmp_path / "elsewhere.yaml"))
    assert config_path(None) == tmp_path / "elsewhere.yaml"


# The environment variables a manifest may set for monitor, each with a check that monitor
# reads it. MONITOR_DATABASE_URL is spelt out in the manifests: it must be the code's name.
READ_BY_MONITOR: dict[str, Callable[[pytest.MonkeyPatch, Path], None]] = {
    "MONITOR_DATABASE_URL": _reads_database_url,
    "SLACK_BOT_TOKEN": _reads_slack_token,
    "MONITOR_CONFIG": _reads_config_path,
}


def test_the_database_url_variable_is_the_one_the_code_reads() -> None:
    assert DATABASE_URL_ENV == "MONITOR_DATABASE_URL"


@pytest.mark.parametrize("name", sorted(READ_BY_MONITOR))
def test_monitor_reads_the_variables_the_manifests_set(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for other in READ_BY_MONITOR:
        monkeypatch.delenv(other, raising=False)
    READ_BY_MONITOR[name](monkeypatch, tmp_path)


def _command_path(args: list[str]) -> list[str]:
    """The `monitor` command that `args` (given to the image's entrypoint) run, checked with
    click: each word names a sub-command of the group before it, and the options parse."""
    ctx = click.Context(main, info_name="monitor")
    command: click.Command = main
    rest = list(args)
    path: list[str] = []
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        sub = command.get_command(ctx, name)
        assert sub is not None, f"`monitor {' '.join([*path, name])}` is not a monitor command"
        path.append(name)
        command = sub
        ctx = click.Context(command, info_name=name, parent=ctx)
    assert not isinstance(command, click.Group), f"`monitor {' '.join(path)}` needs a sub-command"
    command.make_context(path[-1], rest, parent=ctx.parent)  # the remaining options parse
    return path


def test_command_paths_are_resolved_with_click() -> None:
    assert _command_path(["status"]) == ["status"]
    assert _command_path(["rules", "check", "rules/"]) == ["rules", "check"]
    assert _command_path(["run", "--once"]) == ["run"]
    for wrong in (["nope"], ["rules", "nope"], ["rules"], ["run", "--no-such-option"]):
        with pytest.raises((AssertionError, click.UsageError)):
            _command_path(wrong)


def test_the_image_runs_monitor_with_the_manifests_arguments() -> None:
    assert json.loads(_dockerfile(r"^ENTRYPOINT (\[.*\])$")) == ["monitor"]


# ---------------------------------------------------------------------------------------------
# Docker Compose


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.y*ml")), ids=lambda p: p.name)
def test_every_deploy_file_is_yaml(path: Path) -> None:
    assert isinstance(_yaml(path), dict)


def _compose() -> dict[str, Any]:
    services: dict[str, Any] = _yaml(COMPOSE)["services"]
    return services


def _monitor_services() -> dict[str, Any]:
    """The services running the monitor image (not postgres)."""
    return {name: s for name, s in _compose().items() if s.get("image") == IMAGE}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    assert isinstance(env, dict)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_runs_three_replicas_after_the_migration() -> None:
    services = _compose()
    assert set(_monitor_services()) == {"migrate", "monitor"}
    monitor, migrate = services["monitor"], services["migrate"]
    assert monitor["deploy"]["replicas"] == REPLICAS
    assert "container_name" not in monitor, "a fixed container name allows one replica only"
    assert monitor["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert parse_duration(monitor["stop_grace_period"]).total_seconds() == 45
    for service in _monitor_services().values():
        assert (DEPLOY / service["build"]["context"]).resolve() == REPO
        assert (REPO / service["build"]["dockerfile"]).resolve() == DOCKERFILE


def test_compose_postgres_keeps_its_data_and_reports_health() -> None:
    compose = _yaml(COMPOSE)
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "the database needs a named volume"
    assert _environment(postgres)["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_compose_sets_only_variables_monitor_reads() -> None:
    for name, service in _monitor_services().items():
        unknown = set(_environment(service)) - set(READ_BY_MONITOR)
        assert not unknown, f"{name}: monitor reads no {sorted(unknown)}"
        assert DATABASE_URL_ENV in _environment(service), name
    assert _environment(_compose()["monitor"])["SLACK_BOT_TOKEN"].startswith("${SLACK_BOT_TOKEN")


def test_compose_database_url_is_the_postgres_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres = _environment(_compose()["postgres"])
    user, db = postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]
    expected = f"postgresql://{user}:${{POSTGRES_PASSWORD}}@postgres:5432/{db}"
    for name, service in _monitor_services().items():
        url = _environment(service)[DATABASE_URL_ENV]
        assert url == expected, name
        # Interpolated by Compose, it is a URL that load_config accepts over the YAML's.
        real = string.Template(url).substitute(POSTGRES_PASSWORD=PASSWORD)
        monkeypatch.setenv(DATABASE_URL_ENV, real)
        assert load_config(PG_CONFIG).database == real


def _compose_mounts(service: dict[str, Any]) -> dict[PurePosixPath, tuple[Path, str]]:
    """Container path -> (host path, mode) of the bind mounts (short syntax)."""
    mounts = {}
    for volume in service["volumes"]:
        host, container, *mode = volume.split(":")
        if host.startswith("."):
            mounts[PurePosixPath(container)] = ((DEPLOY / host).resolve(), "".join(mode))
    return mounts


def test_compose_mounts_the_postgres_config_and_the_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    config = load_config(PG_CONFIG)
    assert config.rule_paths == [Path("/etc/monitor/rules")]
    for name, service in _monitor_services().items():
        mounts = _compose_mounts(service)
        assert mounts[_image_config_path()] == (PG_CONFIG, "ro"), name
        # Every replica reads the repository's rules, speakers.yaml included, from the folder
        # that monitor.postgres.yaml names.
        assert mounts[PurePosixPath(config.rule_paths[0])] == (RULES, "ro"), name
    assert (RULES / "speakers.yaml").is_file()


def test_postgres_config_holds_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    config = load_config(PG_CONFIG)
    assert isinstance(config.database, str)
    assert config.database.startswith("postgresql://")
    assert urlsplit(config.database).password is None
    assert config.statements.speakers is None, "the speakers come from the rules folder"
    assert config.workers is not None, "without it each replica starts one worker per core"


# ---------------------------------------------------------------------------------------------
# Kubernetes


def _k8s(kind: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc and doc.get("kind") == kind
    ]
    assert len(found) == 1, f"{kind}: {len(found)} in {K8S}"
    return found[0]


def _pod() -> dict[str, Any]:
    pod: dict[str, Any] = _k8s("Deployment")["spec"]["template"]["spec"]
    return pod


def _containers() -> list[dict[str, Any]]:
    pod = _pod()
    return [*pod.get("initContainers", []), *pod["containers"]]


def _rule_files() -> list[Path]:
    return sorted(p for p in RULES.iterdir() if p.is_file() and p.suffix in RULE_SUFFIXES)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = _yaml(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    assert listed == {"secret.yaml", "configmap.yaml", "deployment.yaml"}
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_deployment_runs_three_replicas_after_the_migration() -> None:
    deployment = _k8s("Deployment")
    assert deployment["spec"]["replicas"] == REPLICAS
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pod = _pod()
    for container in _containers():
        assert container["image"] == IMAGE, container["name"]
        assert "command" not in container, "the image's entrypoint is `monitor`"
    compose_grace = parse_duration(_compose()["monitor"]["stop_grace_period"])
    assert pod["terminationGracePeriodSeconds"] == compose_grace.total_seconds()


def test_deployment_runs_as_the_image_user_on_a_read_only_root() -> None:
    pod = _pod()
    assert pod["securityContext"]["runAsUser"] == _image_uid()
    assert pod["securityContext"]["runAsGroup"] == _image_gid()
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in _containers():
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # The worker pool's forkserver needs a writable temporary folder.
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert tmp and "emptyDir" in volumes[tmp[0]["name"]], container["name"]
        assert "limits" in container["resources"], container["name"]


def _secret_env(container: dict[str, Any]) -> dict[str, str]:
    """Env name -> Secret key, for the variables the container takes from a Secret."""
    taken = {}
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            assert ref["name"] == SECRET, var["name"]
            taken[var["name"]] = ref["key"]
    return taken


def test_deployment_sets_only_variables_monitor_reads() -> None:
    for container in _containers():
        names = {var["name"] for var in container.get("env", [])}
        assert names <= set(READ_BY_MONITOR), f"{container['name']}: monitor reads no {names}"
        assert DATABASE_URL_ENV in names, container["name"]
        assert "envFrom" not in container
    assert "SLACK_BOT_TOKEN" in {var["name"] for var in _pod()["containers"][0]["env"]}


def test_secret_keys_are_the_variables_the_deployment_takes() -> None:
    secret = _k8s("Secret")
    assert secret["metadata"]["name"] == SECRET
    taken: dict[str, str] = {}
    for container in _containers():
        taken |= _secret_env(container)
    assert all(name == key for name, key in taken.items()), taken
    assert set(secret["stringData"]) == set(taken)
    url = secret["stringData"][DATABASE_URL_ENV]
    assert url.startswith("postgresql://")


def test_configmap_holds_the_current_config_and_rules() -> None:
    configmap = _k8s("ConfigMap")
    assert configmap["metadata"]["name"] == CONFIGMAP
    data: dict[str, str] = configmap["data"]
    expected = {CONFIG_KEY: PG_CONFIG} | {p.name: p for p in _rule_files()}
    assert set(data) == set(expected), "run: python tools/k8s_configmap.py"
    for key, path in expected.items():
        assert data[key].encode("utf-8") == path.read_bytes(), (
            f"ConfigMap {key} differs from {path.relative_to(REPO)}: "
            "run python tools/k8s_configmap.py"
        )
    assert "speakers.yaml" in data


def _configmap_layout(container: dict[str, Any], keys: set[str]) -> dict[PurePosixPath, str]:
    """Container path -> ConfigMap key, for each file the container sees from monitor-config."""
    volumes = {v["name"]: v for v in _pod()["volumes"]}
    layout: dict[PurePosixPath, str] = {}
    for mount in container.get("volumeMounts", []):
        source = volumes[mount["name"]].get("configMap")
        if source is None:
            continue
        assert source["name"] == CONFIGMAP
        items = source.get("items") or [{"key": k, "path": k} for k in sorted(keys)]
        files = {PurePosixPath(item["path"]): item["key"] for item in items}
        base = PurePosixPath(mount["mountPath"])
        sub = PurePosixPath(mount.get("subPath", "."))
        for path, key in files.items():
            if path == sub:
                layout[base] = key
            elif sub == PurePosixPath(".") or sub in path.parents:
                layout[base / path.relative_to(sub)] = key
    return layout


def _inside(root: Path, path: Path | PurePosixPath) -> Path:
    """`path` of the container, under `root` on this machine."""
    return root / PurePosixPath(path).relative_to("/")


@pytest.mark.parametrize("index", [0, 1], ids=["initContainer", "container"])
def test_deployment_mounts_the_config_and_the_rules_where_the_config_says(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    container = _containers()[index]
    data: dict[str, str] = _k8s("ConfigMap")["data"]
    layout = _configmap_layout(container, set(data))
    assert sorted(layout.values()) == sorted(data), (
        "every ConfigMap key must be mounted: add new rule files to the items in deployment.yaml"
    )
    assert layout.get(_image_config_path()) == CONFIG_KEY
    for path, key in layout.items():  # the container's files, laid out under tmp_path
        _inside(tmp_path, path).parent.mkdir(parents=True, exist_ok=True)
        _inside(tmp_path, path).write_bytes(data[key].encode("utf-8"))

    config = load_config(_inside(tmp_path, _image_config_path()))
    assert [PurePosixPath(p) for p in config.rule_paths] == [PurePosixPath("/etc/monitor/rules")]
    rules_dir = PurePosixPath(config.rule_paths[0])
    in_rules = {path.name for path in layout if path.parent == rules_dir}
    assert in_rules == {p.name for p in _rule_files()}
    # The replica loads the rules from that folder and takes speakers.yaml from beside them.
    local = config.model_copy(update={"rules": [_inside(tmp_path, p) for p in config.rule_paths]})
    assert load_rules(local.rule_paths)
    assert speakers_path(local) == _inside(tmp_path, rules_dir / "speakers.yaml")


# ---------------------------------------------------------------------------------------------
# Commands


def _manifest_commands() -> list[tuple[str, list[str]]]:
    """(where, args) for every command the manifests run in the monitor image."""
    found = [(f"compose {name}", s["command"]) for name, s in _monitor_services().items()]
    found += [(f"k8s {c['name']}", c["args"]) for c in _containers()]
    return found


@pytest.mark.parametrize(
    ("where", "args"), _manifest_commands(), ids=[w for w, _ in _manifest_commands()]
)
def test_every_command_the_manifests_run_is_a_monitor_command(where: str, args: list[str]) -> None:
    _command_path(args)


def test_the_replicas_run_the_daemon_after_db_upgrade() -> None:
    """The one-shot service and the initContainer migrate, the replicas run the daemon."""
    commands = {where: args for where, args in _manifest_commands()}
    assert commands == {
        "compose migrate": ["db", "upgrade"],
        "compose monitor": ["run"],
        "k8s db-upgrade": ["db", "upgrade"],
        "k8s monitor": ["run"],
    }
    assert [c["name"] for c in _pod()["initContainers"]] == ["db-upgrade"]
