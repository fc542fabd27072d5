"""The reader of a document's shell commands, and the shell that runs them in order."""

import os

import pytest

from tests.support.readme_shell import Command, Shell, shell_commands, split_comment, unmatched

DOCUMENT = """# Title

```sh
kubectl apply -f k8s/sleep/
kubectl exec deploy/sleep-1 -- nslookup sleep-2    # the ClusterIP
```

## Step two

Prose with `inline code`, which is no command.

```yaml
kind: Service   # not a shell block
```

```sh
kubectl get pods \\
  -o wide     # continued
kubectl port-forward deploy/web 8088:8080 &   # in the background
```
"""


def test_commands_are_read_in_order_with_their_section_and_comment():
    assert shell_commands(DOCUMENT) == [
        Command("Title", "kubectl apply -f k8s/sleep/", ""),
        Command("Title", "kubectl exec deploy/sleep-1 -- nslookup sleep-2", "the ClusterIP"),
        Command("Step two", "kubectl get pods -o wide", "continued"),
        Command("Step two", "kubectl port-forward deploy/web 8088:8080 &", "in the background"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("kubectl get pods", ("kubectl get pods", "")),
        ("kubectl get pods   # two pods", ("kubectl get pods", "two pods")),
        ("echo 'a # b'  # says", ("echo 'a # b'", "says")),
        ('echo "#x" # says', ('echo "#x"', "says")),
        ("curl http://h/#anchor", ("curl http://h/#anchor", "")),
    ],
)
def test_a_comment_starts_at_a_hash_outside_quotes_and_words(line, expected):
    assert split_comment(line) == expected


def test_a_block_left_open_is_an_error():
    with pytest.raises(ValueError, match="not closed"):
        shell_commands("```sh\nkubectl get pods\n")


def test_a_command_without_a_check_and_a_check_without_a_command_are_both_reported():
    commands = shell_commands(DOCUMENT)
    checked = {command.key for command in commands[1:]} | {("kubectl delete -k k8s/", "")}

    unchecked, stale = unmatched(commands, checked)

    assert unchecked == ["kubectl apply -f k8s/sleep/"]
    assert stale == ["kubectl delete -k k8s/"]
    assert unmatched(commands, {command.key for command in commands}) == ([], [])


@pytest.fixture
def shell(tmp_path):
    opened = Shell(tmp_path, {"PATH": os.environ["PATH"]}, timeout=10)
    yield opened
    opened.close()


def test_the_shell_keeps_state_between_commands_and_reports_exit_codes(shell):
    assert shell.run("export GREETING=hello").ok
    result = shell.run("echo $GREETING; echo to-stderr >&2; fails() { return $1; }; fails 3")
    assert (result.exit_code, result.output) == (3, "hello\nto-stderr\n")


def test_a_background_job_keeps_running_until_killed_by_its_job_number(shell):
    assert shell.run("sleep 30 &").ok
    assert shell.run("jobs -r | wc -l").output.strip() == "1"
    assert shell.run("kill %1").ok
    assert shell.until("jobs -r | wc -l", lambda r: r.output.strip() == "0", 5, 0.1).ok


def test_a_command_that_outlives_its_timeout_is_an_error(tmp_path):
    shell = Shell(tmp_path, {"PATH": os.environ["PATH"]}, timeout=0.5)
    try:
        with pytest.raises(TimeoutError, match="sleep 5"):
            shell.run("sleep 5")
    finally:
        shell.close()
