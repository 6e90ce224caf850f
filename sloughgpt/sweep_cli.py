"""`sloughgpt sweep agent SWEEP_ID -- COMMAND...`: runs an external sweep's trials with a
command (see sloughgpt.sweep for what the command gets and prints)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    sweep = subparsers.add_parser("sweep", help="run a sweep's trials with your own script")
    actions = sweep.add_subparsers(dest="sweep_command", metavar="ACTION", required=True)
    agent = actions.add_parser(
        "agent", help="ask the server for trials and run COMMAND for each",
        description="Each trial's params reach COMMAND as SLOUGHGPT_TRIAL_PARAMS (JSON) and "
        "SLOUGHGPT_TRIAL_PARAMS_FILE; it prints 'sloughgpt:report STEP VALUE' lines to be "
        "pruned early and 'sloughgpt:objective VALUE' at the end. SLOUGHGPT_URL and "
        "SLOUGHGPT_API_TOKEN name the server and your token.")
    agent.add_argument("sweep_id", type=int)
    agent.add_argument("--count", type=int, default=None, help="at most this many trials (default: until done)")
    agent.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    agent.set_defaults(func=run_agent_command)


def run_agent_command(args: argparse.Namespace) -> int:
    from .client import Client
    from .sweep import command_trial, run_agent

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("give the command after --, e.g. sloughgpt sweep agent 7 -- python train.py")
        return 2
    ran = run_agent(Client(), args.sweep_id, lambda trial: command_trial(trial, command), count=args.count)
    print(f"ran {ran} trial{'s' if ran != 1 else ''}")
    return 0
