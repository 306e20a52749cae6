"""The dashboard without a browser: tables read from a cursor, the views a poll sends, the HTTP
endpoints (token, host, errors), and the commands' refusals."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from hpsearch.dashboard import page
from hpsearch.dashboard.data import RunView, poll
from hpsearch.dashboard.tables import read_since
from hpsearch.errors import UserError
from hpsearch.store.files import atomic_write
from tests.conftest import as_a_terminal_starts_it, kill_group
from tests.views import make_runs, serving


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def runs(origin, tmp_path):
    """A copy of the runs, free to change."""
    return shutil.copytree(origin, tmp_path / "runs")


# -- tables read from a cursor ---------------------------------------------------------------
def test_a_read_from_a_cursor_gets_only_the_records_appended_since(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n")
    first = read_since(path)
    assert (first.header, first.rows, first.reset) == (["a", "b"], [["1", "x"]], True)
    assert read_since(path, first.cursor).rows == [] and not first.cut
    with open(path, "a") as f:
        f.write('2,"two\nlines"\n3,y\n')
    later = read_since(path, first.cursor)
    assert (later.rows, later.reset) == ([["2", "two\nlines"], ["3", "y"]], False)
    assert path.read_text().endswith("3,y\n")  # read, never changed


def test_a_record_still_being_written_waits_for_its_end(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n")
    cursor = read_since(path).cursor
    for partial in ("2,y", '2,"half\nof'):
        with open(path, "a") as f:
            f.write(partial)
        chunk = read_since(path, cursor)
        assert chunk.rows == [] and chunk.cursor == cursor and chunk.cut  # said, for a report
        assert path.read_text().endswith(partial)  # the writer's half line is left alone
        path.write_text("a,b\n1,x\n")
    with open(path, "a") as f:
        f.write('2,"half\nof"\n')
    assert read_since(path, cursor).rows == [["2", "half\nof"]]


def test_a_rewritten_table_is_read_again_from_the_top(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n2\n")
    cursor = read_since(path).cursor
    atomic_write(path, "a\n2\n")  # as a rollback rewrites trials.csv
    chunk = read_since(path, cursor)
    assert (chunk.rows, chunk.reset) == ([["2"]], True)
    assert read_since(path, "not a cursor").reset
    missing = read_since(tmp_path / "none.csv", cursor)
    assert (missing.header, missing.rows, missing.reset) == ([], [], True)


def test_an_unparsed_read_gives_whole_lines(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("trial,epoch\n0,1\n0,2\n0,")
    chunk = read_since(path, parse=False)
    assert (chunk.header, chunk.text) == (["trial", "epoch"], "0,1\n0,2\n")


# -- what a poll sends -----------------------------------------------------------------------
def test_a_poll_sends_only_what_is_new(runs):
    view = RunView(runs / "cav")
    first = poll(view)
    assert len(first["trials"]["rows"]) == 8 and first["summary"]["status"] == "finished"
    cursors = {k: first[k]["cursor"] for k in ("trials", "curves")}
    quiet = poll(RunView(runs / "cav"), **cursors, summary=first["digest"])
    assert quiet["trials"]["rows"] == [] and quiet["curves"]["csv"] == ""
    assert quiet["summary"] is None
    line = (runs / "cav" / "trials.csv").read_text().splitlines()[-1]
    with open(runs / "cav" / "trials.csv", "a") as f:
        f.write("99" + line[line.index(",") :] + "\n")
    with open(runs / "cav" / "curves.csv", "a") as f:
        f.write("99,1,0.1,0.5,0.6,0.8,0\n")
    later = poll(RunView(runs / "cav"), **cursors, summary=first["digest"])
    assert [row[0] for row in later["trials"]["rows"]] == [99]
    assert later["curves"]["csv"] == "99,1,0.1,0.5,0.6,0.8,0\n"
    assert later["summary"]["done"] == 9


def test_rows_carry_the_rank_of_best_first(runs):
    view = RunView(runs / "cav")
    trials = view.trials()
    rank = trials["columns"].index("rank")
    by_rank = [row[0] for row in sorted(trials["rows"], key=lambda r: r[rank])]
    assert by_rank == list(view.as_run().trials["trial"])
    best = json.loads((runs / "cav" / "best.json").read_text())["trial"]
    assert view.summary()["best"]["trial"] == best == by_rank[0]


def test_truncated_tables_show_what_can_be_read(runs):
    trials = runs / "cav" / "trials.csv"
    lines = trials.read_text().splitlines(keepends=True)
    bad = lines[3].replace(",ok,", ",what,", 1)
    trials.write_text("".join(lines[:3]) + bad + lines[4][:20])  # a bad row, a half line
    view = RunView(runs / "cav")
    assert [row[0] for row in view.trials()["rows"]] == [0, 1]
    assert any("status 'what' is not one of" in w for w in view.trials()["warnings"])
    summary = view.summary()
    assert summary["done"] == 2 and summary["counts"]["ok"] == 2
    trials.write_text(lines[0])
    assert RunView(runs / "cav").summary()["done"] == 0


# -- the HTTP endpoints ----------------------------------------------------------------------
def ask(server, path, body=None, token=None, host=None):
    """(status, JSON answer) of a request to the dashboard."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data)
    if token is not None:
        request.add_header("X-Hpsearch-Token", token)
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_change_without_the_token_is_refused(runs):
    with serving(runs) as server:
        for token in (None, "wrong", ""):
            status, answer = ask(server, "/api/runs/pan/nudge", {"lr_factor": 0.5}, token)
            assert status == 403 and "needs the token" in answer["error"]
        assert not (runs / "pan" / "requests").exists()
        status, answer = ask(server, "/api/runs/pan/nudge", {"lr_factor": 0.5}, server.token)
        assert status == 200 and "trial 0 applies it when it resumes" in answer["message"]
        (request,) = (runs / "pan" / "requests").glob("*.json")
        assert json.loads(request.read_text()) == {"trial": 0, "lr_factor": 0.5}


def test_a_refused_change_comes_back_as_its_one_line(runs):
    with serving(runs) as server:
        status, answer = ask(server, "/api/runs/cav/nudge", {"lr_factor": 2}, server.token)
        assert status == 400 and answer["error"].endswith(
            "is a caviar run; nudge and rollback work on panda runs (search.mode: panda)"
        )
        body = {"trial": 0, "epoch": 9, "set": {"keep_prob": "0.8"}}
        status, answer = ask(server, "/api/runs/pan/rollback", body, server.token)
        assert (status, answer["error"]) == (
            400,
            "--epoch: trial 0 trained epochs 1 to 4, not 9; give an epoch from 0 (its start) to 4",
        )
        status, answer = ask(server, "/api/runs/pan/rollback", {"trial": "x"}, server.token)
        assert status == 400 and answer["error"].startswith("trial: 'x' is not a whole number")
    assert not (runs / "pan" / "rollback.json").exists()


def test_other_hosts_unknown_runs_and_paths_are_refused(runs):
    with serving(runs) as server:
        assert ask(server, "/api/runs", host="evil.example:80")[0] == 403
        assert ask(server, "/api/runs", host=f"localhost:{server.port}")[0] == 200
        for path in ("/api/runs/nope", "/api/runs/..%2Fcav", "/api/runs/cav/other", "/x"):
            assert ask(server, path)[0] == 404


def test_the_page_carries_the_token_only_when_its_address_does(runs):
    with serving(runs) as server:
        for query, token in (("", None), ("?token=guess", None), (f"?token={server.token}", 1)):
            url = f"http://127.0.0.1:{server.port}/{query}"
            with urllib.request.urlopen(url, timeout=10) as response:
                text = response.read().decode()
            boot = json.loads(re.search(r'id="boot"[^>]*>(.*?)</script>', text).group(1))
            assert boot["token"] == (server.token if token else None)


# -- the commands ----------------------------------------------------------------------------
def test_the_dashboard_refuses_a_folder_without_runs(cli, tmp_path):
    for folder in (tmp_path, tmp_path / "none"):
        result = cli("dashboard", folder, "--port", "0")
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_the_dashboard_refuses_a_port_in_use(cli, origin):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("dashboard", origin, "--port", port)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --port: port {port} is in use; stop what uses it, or pick another port "
        "(--port 8081; --port 0 takes a free one)\n"
    )


def test_the_page_draws_with_the_plotly_bundle_shipped_in_the_package():
    version, code = page.plotly_js()
    assert version == "3.7.0" and "plotly.js (basic - minified)" in code[:200]
    assert "plotly.min.js" in page.served()


def test_a_dashboard_on_another_address_warns_and_stops_on_ctrl_c(origin, tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpsearch",
            "dashboard",
            str(origin),
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_a_terminal_starts_it,
    )
    try:
        url = proc.stdout.readline()
        assert re.match(r"hpsearch dashboard: open http://0\.0\.0\.0:\d+/\?token=\S+$", url)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(proc)  # never left running
            raise
    assert err.startswith("warning: listening on 0.0.0.0: anyone who can reach this machine")
    assert proc.returncode == 130 and "Traceback" not in err


def test_a_report_refuses_runs_it_cannot_show(cli, runs, tmp_path):
    header = (runs / "cav" / "trials.csv").read_text().splitlines(keepends=True)[0]
    (runs / "cav" / "trials.csv").write_text(header)
    cases = [
        (runs / "cav", "the run has no finished trial yet"),
        (tmp_path, "not a run directory"),
    ]
    for path, message in cases:
        result = cli("report", path, "-o", tmp_path / "r.html")
        assert result.exit_code == 2 and message in result.stderr
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_a_report_shows_the_complete_rows_of_a_half_written_table(cli, runs, tmp_path):
    trials = runs / "cav2" / "trials.csv"
    trials.write_text(trials.read_text()[:-30])  # the last line cut short
    result = cli("report", runs / "cav2", "-o", tmp_path / "r.html")
    assert result.exit_code == 0 and result.stderr == (
        f"warning: {trials}: its last line is incomplete (being written, or cut short): left out\n"
    )
    text = (tmp_path / "r.html").read_text()
    boot = json.loads(re.search(r'id="boot"[^>]*>(.*?)</script>', text).group(1))
    assert len(boot["runs"]["cav2"]["poll"]["trials"]["rows"]) == 7


def test_a_report_loads_nothing_from_anywhere(cli, origin, tmp_path):
    result = cli("report", origin / "cav", origin / "cav2", "-o", tmp_path / "r.html")
    assert result.exit_code == 0 and "report of 2 runs in" in result.output
    text = (tmp_path / "r.html").read_text()
    tags = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1", text, flags=re.S | re.I)  # markup only
    assert re.findall(r"<script\b[^>]*>", tags) == [  # the data, the page's code, Plotly
        '<script id="boot" type="application/json">',
        "<script>",
        "<script>",
    ]
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(?!["']|data:|#)""", tags, re.I)


def test_user_errors_from_views_name_the_file(origin):
    with pytest.raises(UserError, match="not a run directory"):
        RunView(origin)
