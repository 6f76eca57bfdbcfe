# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_payorch_global_optspecs
    string join \n config= data-dir= tenant= o/output= no-color v/verbose q/quiet h/help V/version
end

function __fish_payorch_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_payorch_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_payorch_using_subcommand
    set -l cmd (__fish_payorch_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c payorch -n "__fish_payorch_needs_command" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_needs_command" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_needs_command" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_needs_command" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_needs_command" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "init" -d 'Write a commented default config file and create the data dir and database'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "config" -d 'Inspect the effective configuration'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "tenant" -d 'Create and list tenants (merchants)'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "aws" -d 'The fleet backend\'s DynamoDB table and SQS queues: create them, show their status'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "datakey" -d 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "apikey" -d 'Create, list and revoke API keys'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "serve" -d 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "charge" -d 'Create, show, list and refund charges (in-process, same core as `serve`)'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "reconcile" -d 'Resolve unknown charges and cancel orphans once, by asking the gateways'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "audit" -d 'Read the audit log of operator actions'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "report" -d 'Reports: what charges cost (by gateway, method, tenant or day) and a month\'s billing per tenant, as tables, JSON or CSV'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "gateway" -d 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "breaker" -d 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "dashboard" -d 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "webhook" -d 'Outbound webhooks: the tenant\'s endpoint and its signing secret'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "dlq" -d 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "events" -d 'The tenant\'s outbound events: list, show, and resend one to the merchant'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "amount" -d 'Convert an amount as people write it (10,50) to the API\'s minor units (1050)'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "sandbox" -d 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "demo" -d 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "bench" -d 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c payorch -n "__fish_payorch_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand init" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand init" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand init" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand init" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand init" -l force -d 'Overwrite an existing config file with the commented defaults'
complete -c payorch -n "__fish_payorch_using_subcommand init" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand init" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand init" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand init" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
complete -c payorch -n "__fish_payorch_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -f -a "create" -d 'Create a tenant'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -f -a "list" -d 'List tenants'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and not __fish_seen_subcommand_from create list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -l name -d 'A human-readable name [default: the id]' -r
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a tenant'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from help" -f -a "list" -d 'List tenants'
complete -c payorch -n "__fish_payorch_using_subcommand tenant; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -f -a "init" -d 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -f -a "status" -d 'The table\'s and indexes\' status, and both queues\' depths'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and not __fish_seen_subcommand_from init status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "status" -d 'The table\'s and indexes\' status, and both queues\' depths'
complete -c payorch -n "__fish_payorch_using_subcommand aws; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -f -a "show" -d 'Where the data key comes from, its id, and which key each endpoint\'s secret is under'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -f -a "rotate" -d 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -f -a "generate" -d 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -f -a "import" -d 'Make a backed-up data key (base64, read from stdin) the keyring\'s current key again'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and not __fish_seen_subcommand_from show rotate generate import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -l reveal -d 'Also print the keys themselves (base64), to back them up somewhere safe'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from generate" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from help" -f -a "show" -d 'Where the data key comes from, its id, and which key each endpoint\'s secret is under'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from help" -f -a "import" -d 'Make a backed-up data key (base64, read from stdin) the keyring\'s current key again'
complete -c payorch -n "__fish_payorch_using_subcommand datakey; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -f -a "create" -d 'Create a key for the tenant (--tenant); its secret is shown only this once'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -f -a "list" -d 'List the tenant\'s keys (prefix only, never the secret)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -f -a "update" -d 'Change a key\'s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -f -a "revoke" -d 'Revoke a key: requests using it are refused from now on'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and not __fish_seen_subcommand_from create list update revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l name -d 'A label, e.g. "checkout backend"' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l rate-limit -d 'This key\'s own request rate instead of `[limits] key`: COUNT/s, COUNT/min, COUNT/h (burst: one period\'s worth), or `off` (the tenant\'s limit still applies)' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -l rate-limit -d 'COUNT/s, COUNT/min, COUNT/h, `off` (no limit of its own), or `default` (back to `[limits] key`)' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a key for the tenant (--tenant); its secret is shown only this once'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the tenant\'s keys (prefix only, never the secret)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a key\'s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a key: requests using it are refused from now on'
complete -c payorch -n "__fish_payorch_using_subcommand apikey; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l bind -d 'Address to listen on [default: the config\'s server.bind]; port 0 picks a free port' -r
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l sandbox -d 'Use a running `payorch sandbox` at URL for every gateway (its test credentials), and have it send its webhooks here, to the tenant\'s inbound routes (--tenant)' -r
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l log-format -d 'Log lines as text or JSON [default: the config\'s log.format]' -r -f -a "text\t''
json\t''"
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand serve" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand serve" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand serve" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand serve" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand serve" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -f -a "create" -d 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -f -a "get" -d 'Show one charge'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -f -a "list" -d 'List charges, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -f -a "refund" -d 'Refund a charge, fully or in part, at the gateway that holds it'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and not __fish_seen_subcommand_from create get list refund help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l amount -d 'Amount as people write it (10.50 or 10,50), or minor units with --minor' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l currency -d 'ISO 4217 currency of --amount: BRL, USD, EUR, JPY, …' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l method -d 'pix, card, boleto or link (a hosted page where the payer chooses)' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l customer-name -d 'The payer\'s name' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l customer-document -d 'CPF or CNPJ (required for Pix, boleto and link in BRL)' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l customer-email -d 'The payer\'s email (gateways send receipts to it)' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l description -d 'What the charge is for, shown to the payer where the gateway shows it' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l metadata -d 'KEY=VALUE, repeatable' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l card-token -d 'GATEWAY=TOKEN for card charges, repeatable (e.g. stripe=pm_card_visa)' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l gateway -d 'Pin one gateway: no routing, no failover' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l idempotency-key -d 'Reuse to retry safely; generated and printed when not given' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l sandbox -d 'Use a running `payorch sandbox` at URL for every gateway' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l minor -d '--amount is in minor units (cents)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l status -d 'Only charges in this status (`failed` includes declined ones)' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l gateway -d 'Only charges held by this gateway: stripe, efi or asaas' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l limit -d 'How many charges to show, 1 to 100' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l amount -d 'Amount to refund, in the charge\'s currency (10.50 or 10,50) [default: everything still refundable]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l reason -d 'Why, for the gateway and the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l idempotency-key -d 'Reuse to retry safely; generated and printed when not given' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l sandbox -d 'Use a running `payorch sandbox` at URL for every gateway' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l minor -d '--amount is in minor units (cents)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from refund" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from help" -f -a "get" -d 'Show one charge'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from help" -f -a "list" -d 'List charges, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from help" -f -a "refund" -d 'Refund a charge, fully or in part, at the gateway that holds it'
complete -c payorch -n "__fish_payorch_using_subcommand charge; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -l sandbox -d 'Use a running `payorch sandbox` at URL for every gateway' -r
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand reconcile" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List audit entries, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l limit -d 'How many entries' -r
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l starting-after -d 'Entries older than this id (from a previous page)' -r
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l all-tenants -d 'Every tenant\'s entries, not only --tenant\'s'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "list" -d 'List audit entries, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -f -a "costs" -d 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -f -a "billing" -d 'A month\'s statement per tenant: counts by status, volume, refunds, fees paid, net'
complete -c payorch -n "__fish_payorch_using_subcommand report; and not __fish_seen_subcommand_from costs billing help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l from -d 'Start, included: a date YYYY-MM-DD (from its first instant at --utc-offset) or an RFC 3339 time [default: the first day of --to\'s month]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l to -d 'End: a date YYYY-MM-DD (included, to its last instant at --utc-offset) or an RFC 3339 time (excluded) [default: now]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l by -d 'One row per gateway, payment method, tenant or day (and per currency)' -r -f -a "gateway\t''
method\t''
tenant\t''
day\t''"
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l utc-offset -d 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from costs" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l month -d 'The month, YYYY-MM (from its first day to its last at --utc-offset)' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l utc-offset -d 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from billing" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "costs" -d 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "billing" -d 'A month\'s statement per tenant: counts by status, volume, refunds, fees paid, net'
complete -c payorch -n "__fish_payorch_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "list" -d 'Every gateway: its role in the tenant\'s routing, whether it is available, what it takes'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "switch" -d 'Make a gateway the tenant\'s primary; the old primary becomes the first fallback'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "fallback" -d 'Set the tenant\'s fallbacks, tried in order after the primary'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "strategy" -d 'How charges order the gateways that can take them: ordered (the table\'s order) or cheapest (the [fees] estimate, cheapest first)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "credentials" -d 'Store, inspect and delete a gateway\'s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and not __fish_seen_subcommand_from list switch fallback strategy credentials help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -l sandbox -d 'Show the gateways a `serve --sandbox URL` uses: the sandbox\'s test accounts' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from switch" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l none -d 'No fallbacks: charges go to the primary only'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from fallback" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from strategy" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -f -a "set" -d 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -f -a "show" -d 'Show which secrets are set, where each comes from, and a masked hint (never the value)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -f -a "delete" -d 'Delete secrets from the OS keyring (every field, or only --field)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from credentials" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every gateway: its role in the tenant\'s routing, whether it is available, what it takes'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "switch" -d 'Make a gateway the tenant\'s primary; the old primary becomes the first fallback'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "fallback" -d 'Set the tenant\'s fallbacks, tried in order after the primary'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "strategy" -d 'How charges order the gateways that can take them: ordered (the table\'s order) or cheapest (the [fees] estimate, cheapest first)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "credentials" -d 'Store, inspect and delete a gateway\'s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
complete -c payorch -n "__fish_payorch_using_subcommand gateway; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -f -a "status" -d 'Every gateway\'s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -f -a "open" -d 'Force a gateway\'s breaker open: no charge goes to it (until --for ends, then half-open)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -f -a "close" -d 'Force a gateway\'s breaker closed: every charge may go to it, failures never open it'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -f -a "auto" -d 'Return a gateway\'s breaker to automatic: closed, with a fresh window'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and not __fish_seen_subcommand_from status open close auto help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -l all-tenants -d 'Every tenant\'s breakers, not only --tenant\'s'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l for -d 'How long, e.g. 10m or 2h; without it, until `breaker auto` or `breaker close`' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from open" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from close" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -l reason -d 'Why, for the audit log' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from auto" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "status" -d 'Every gateway\'s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "open" -d 'Force a gateway\'s breaker open: no charge goes to it (until --for ends, then half-open)'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "close" -d 'Force a gateway\'s breaker closed: every charge may go to it, failures never open it'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "auto" -d 'Return a gateway\'s breaker to automatic: closed, with a fresh window'
complete -c payorch -n "__fish_payorch_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l refresh -d 'How often to re-read the store, from 200ms to 1h' -r
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l utc-offset -d 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dashboard" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -f -a "endpoint" -d 'The tenant\'s endpoint: set its URL, show it, re-enable it after a 410'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -f -a "secret" -d 'The signing secret: rotate it, keeping the old one valid for an overlap'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and not __fish_seen_subcommand_from endpoint secret help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -f -a "set" -d 'Deliver the tenant\'s events to URL (a new endpoint\'s signing secret is shown only once)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -f -a "show" -d 'The endpoint, its state and its signing secret (masked)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -f -a "enable" -d 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -f -a "disable" -d 'Stop deliveries for now: events are kept and wait until `enable`'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from endpoint" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -f -a "rotate" -d 'Replace the signing secret; deliveries carry both signatures during the overlap'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from secret" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "endpoint" -d 'The tenant\'s endpoint: set its URL, show it, re-enable it after a 410'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "secret" -d 'The signing secret: rotate it, keeping the old one valid for an overlap'
complete -c payorch -n "__fish_payorch_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "list" -d 'The tenant\'s dead letters, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "show" -d 'One dead letter: its event, last error and every recorded attempt'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "replay" -d 'Put dead letters back in the delivery queue, to be delivered now'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "purge" -d 'Delete dead letters for good (asks first unless --yes)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and not __fish_seen_subcommand_from list show replay purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l limit -d 'At most this many' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l since -d 'Only those that died at or after this: RFC 3339 (2026-11-24T03:00:00Z) or an age (24h)' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l since -d 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l all -d 'Every dead letter of the tenant'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l dry-run -d 'Only say what would be replayed'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from replay" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l since -d 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l all -d 'Every dead letter of the tenant'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "list" -d 'The tenant\'s dead letters, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "show" -d 'One dead letter: its event, last error and every recorded attempt'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Put dead letters back in the delivery queue, to be delivered now'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete dead letters for good (asks first unless --yes)'
complete -c payorch -n "__fish_payorch_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -f -a "list" -d 'The tenant\'s events, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -f -a "show" -d 'One event\'s JSON, exactly as it is delivered'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -f -a "resend" -d 'Deliver an event again: the same body and event id, queued now'
complete -c payorch -n "__fish_payorch_using_subcommand events; and not __fish_seen_subcommand_from list show resend help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l type -d 'Only events of this type, e.g. charge.succeeded' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l charge -d 'Only events about this charge (`ch_…`)' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l limit -d 'At most this many' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l starting-after -d 'Only events older than this event id (the previous page\'s last one)' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from resend" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "list" -d 'The tenant\'s events, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "show" -d 'One event\'s JSON, exactly as it is delivered'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "resend" -d 'Deliver an event again: the same body and event id, queued now'
complete -c payorch -n "__fish_payorch_using_subcommand events; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s c -l currency -d 'ISO 4217 currency: BRL, USD, EUR, JPY, …' -r
complete -c payorch -n "__fish_payorch_using_subcommand amount" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand amount" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand amount" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand amount" -l minor -d 'AMOUNT is already in minor units (cents)'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand amount" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l bind -d 'Address of the main listener; each gateway also gets its own listener on the next ports' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l webhook-url -d 'Where a gateway\'s webhooks go, e.g. stripe=http://127.0.0.1:8080/webhooks/default/stripe (repeatable)' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l asaas-refund-delay -d 'How long the Asaas fake keeps a refund PENDING before it settles it (DONE, with its webhook); 0s settles it right after answering' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l max-objects -d 'How many objects of each kind (intents, charges, refunds, customers, cobs, payments, idempotency keys) each fake keeps; past it the oldest settled ones are evicted (and answer 404), and with none settled new ones are refused with the gateway\'s 429' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "mode" -d 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "pay" -d 'Mark a pending charge paid; the fake sends its gateway\'s webhook'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "charges" -d 'List the charges the fakes hold'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "webhook" -d 'Register the URL a gateway\'s webhooks are sent to'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "webhooks" -d 'Show the webhook delivery log'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "info" -d 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and not __fish_seen_subcommand_from mode pay charges webhook webhooks info help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l latency -d 'Added latency in milliseconds (slow: before the request is processed; lost: after, before its answer)' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l error-rate -d 'Share of requests that fail, 0 to 1 (flaky)' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l status -d 'Status to answer with (down: instead of refusing connections; flaky: default 503)' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l only -d 'Only requests with this method and path (the gateway\'s own; a trailing * makes it a prefix), e.g. \'POST /v3/payments\'; the others are answered normally' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from mode" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l gateway -d 'The gateway holding it [default: whichever knows the id]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from pay" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from charges" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhook" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from webhooks" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -l url -d 'The running sandbox\'s address' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from info" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "mode" -d 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "pay" -d 'Mark a pending charge paid; the fake sends its gateway\'s webhook'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "charges" -d 'List the charges the fakes hold'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "webhook" -d 'Register the URL a gateway\'s webhooks are sent to'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "webhooks" -d 'Show the webhook delivery log'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "info" -d 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
complete -c payorch -n "__fish_payorch_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l duration -d 'How long to run, e.g. 20s or 2m [default: 30s with --headless; with the dashboard, until q]' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l outage -d 'Take GATEWAY down (connections refused) from FROM to TO after the start, e.g. stripe:5s-12s (repeatable) [default headless: the primary, from 20% to 50% of the run]' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l rate -d 'Charges per second (0.1 to 50)' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l seed -d 'Seed for reproducible traffic [default: random, printed in the summary]' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l backend -d 'Where the demo keeps its state: a throwaway SQLite file, or a fresh table and queues on DynamoDB + SQS at --aws-endpoint (an emulator; see the README\'s "Running a fleet")' -r -f -a "sqlite\t''
dynamodb\t''"
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l aws-endpoint -d 'The AWS endpoint for `--backend dynamodb`, e.g. http://127.0.0.1:5000 (region us-east-1 unless AWS_REGION is set; credentials from the AWS chain, else the emulator\'s placeholder)' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand demo" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l headless -d 'No dashboard: apply the --outage schedule, then print the summary (for scripts, tests)'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l no-outage -d 'Headless: no outage at all (all gateways up the whole run)'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l keep -d 'Keep the temporary data dir at the end and print its path'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand demo" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -f -a "charges" -d 'Unique charges through serve\'s merchant API; with --direct, the same load straight at the sandbox\'s Stripe too, and payorch\'s ratio to it'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -f -a "webhooks" -d 'Unique, validly signed Stripe webhooks into serve\'s /webhooks/{tenant}/stripe'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and not __fish_seen_subcommand_from charges webhooks help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l url -d 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l concurrency -d 'Connections, each with one request in flight at a time' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l duration -d 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l requests -d 'Send this many requests in all, then stop' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l timeout -d 'Give up on one request after this long (it counts as a `timeout` error)' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l api-key -d 'An API key of the tenant (`payorch apikey create`)' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l method -d 'The payment method of every charge' -r -f -a "card\t'Stripe\'s test card `pm_card_visa`'
pix\t'A Pix charge (BR Code and QR)'"
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l direct -d 'Also send the same load straight to this sandbox\'s Stripe (`payorch sandbox`\'s URL)' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l receiver -d 'Count the events serve delivers to a receiver listening here (the tenant\'s webhook endpoint must point at it), e.g. 127.0.0.1:9099' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l drain -d 'With --receiver: stop waiting for deliveries after this long without one' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from charges" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l url -d 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l concurrency -d 'Connections, each with one request in flight at a time' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l duration -d 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l requests -d 'Send this many requests in all, then stop' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l timeout -d 'Give up on one request after this long (it counts as a `timeout` error)' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l secret -d 'The Stripe webhook signing secret serve verifies with [default: the sandbox\'s]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from webhooks" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "charges" -d 'Unique charges through serve\'s merchant API; with --direct, the same load straight at the sandbox\'s Stripe too, and payorch\'s ratio to it'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "webhooks" -d 'Unique, validly signed Stripe webhooks into serve\'s /webhooks/{tenant}/stripe'
complete -c payorch -n "__fish_payorch_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand completions" -l data-dir -d 'Data directory [default: $XDG_DATA_HOME/payorch]' -r -F
complete -c payorch -n "__fish_payorch_using_subcommand completions" -l tenant -d 'Tenant to act on [default: the config\'s `tenant`, else "default"]' -r
complete -c payorch -n "__fish_payorch_using_subcommand completions" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned tables for people'
json\t'Stable JSON for scripts'
csv\t'CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only)'"
complete -c payorch -n "__fish_payorch_using_subcommand completions" -l no-color -d 'No ANSI colours (also: the NO_COLOR environment variable)'
complete -c payorch -n "__fish_payorch_using_subcommand completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace)'
complete -c payorch -n "__fish_payorch_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c payorch -n "__fish_payorch_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c payorch -n "__fish_payorch_using_subcommand completions" -s V -l version -d 'Print version'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "init" -d 'Write a commented default config file and create the data dir and database'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "config" -d 'Inspect the effective configuration'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "tenant" -d 'Create and list tenants (merchants)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "aws" -d 'The fleet backend\'s DynamoDB table and SQS queues: create them, show their status'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "datakey" -d 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "apikey" -d 'Create, list and revoke API keys'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "serve" -d 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "charge" -d 'Create, show, list and refund charges (in-process, same core as `serve`)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "reconcile" -d 'Resolve unknown charges and cancel orphans once, by asking the gateways'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "audit" -d 'Read the audit log of operator actions'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "report" -d 'Reports: what charges cost (by gateway, method, tenant or day) and a month\'s billing per tenant, as tables, JSON or CSV'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "gateway" -d 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "breaker" -d 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "dashboard" -d 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "webhook" -d 'Outbound webhooks: the tenant\'s endpoint and its signing secret'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "dlq" -d 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "events" -d 'The tenant\'s outbound events: list, show, and resend one to the merchant'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "amount" -d 'Convert an amount as people write it (10,50) to the API\'s minor units (1050)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "sandbox" -d 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "demo" -d 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "bench" -d 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c payorch -n "__fish_payorch_using_subcommand help; and not __fish_seen_subcommand_from init config tenant aws datakey apikey serve charge reconcile audit report gateway breaker dashboard webhook dlq events amount sandbox demo bench completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from tenant" -f -a "create" -d 'Create a tenant'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from tenant" -f -a "list" -d 'List tenants'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from aws" -f -a "init" -d 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from aws" -f -a "status" -d 'The table\'s and indexes\' status, and both queues\' depths'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from datakey" -f -a "show" -d 'Where the data key comes from, its id, and which key each endpoint\'s secret is under'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from datakey" -f -a "rotate" -d 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from datakey" -f -a "generate" -d 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from datakey" -f -a "import" -d 'Make a backed-up data key (base64, read from stdin) the keyring\'s current key again'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from apikey" -f -a "create" -d 'Create a key for the tenant (--tenant); its secret is shown only this once'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from apikey" -f -a "list" -d 'List the tenant\'s keys (prefix only, never the secret)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from apikey" -f -a "update" -d 'Change a key\'s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from apikey" -f -a "revoke" -d 'Revoke a key: requests using it are refused from now on'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from charge" -f -a "create" -d 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from charge" -f -a "get" -d 'Show one charge'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from charge" -f -a "list" -d 'List charges, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from charge" -f -a "refund" -d 'Refund a charge, fully or in part, at the gateway that holds it'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "list" -d 'List audit entries, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "costs" -d 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "billing" -d 'A month\'s statement per tenant: counts by status, volume, refunds, fees paid, net'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from gateway" -f -a "list" -d 'Every gateway: its role in the tenant\'s routing, whether it is available, what it takes'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from gateway" -f -a "switch" -d 'Make a gateway the tenant\'s primary; the old primary becomes the first fallback'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from gateway" -f -a "fallback" -d 'Set the tenant\'s fallbacks, tried in order after the primary'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from gateway" -f -a "strategy" -d 'How charges order the gateways that can take them: ordered (the table\'s order) or cheapest (the [fees] estimate, cheapest first)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from gateway" -f -a "credentials" -d 'Store, inspect and delete a gateway\'s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "status" -d 'Every gateway\'s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "open" -d 'Force a gateway\'s breaker open: no charge goes to it (until --for ends, then half-open)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "close" -d 'Force a gateway\'s breaker closed: every charge may go to it, failures never open it'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "auto" -d 'Return a gateway\'s breaker to automatic: closed, with a fresh window'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "endpoint" -d 'The tenant\'s endpoint: set its URL, show it, re-enable it after a 410'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "secret" -d 'The signing secret: rotate it, keeping the old one valid for an overlap'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'The tenant\'s dead letters, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "show" -d 'One dead letter: its event, last error and every recorded attempt'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "replay" -d 'Put dead letters back in the delivery queue, to be delivered now'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "purge" -d 'Delete dead letters for good (asks first unless --yes)'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from events" -f -a "list" -d 'The tenant\'s events, newest first'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from events" -f -a "show" -d 'One event\'s JSON, exactly as it is delivered'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from events" -f -a "resend" -d 'Deliver an event again: the same body and event id, queued now'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "mode" -d 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "pay" -d 'Mark a pending charge paid; the fake sends its gateway\'s webhook'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "charges" -d 'List the charges the fakes hold'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "webhook" -d 'Register the URL a gateway\'s webhooks are sent to'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "webhooks" -d 'Show the webhook delivery log'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "info" -d 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "charges" -d 'Unique charges through serve\'s merchant API; with --direct, the same load straight at the sandbox\'s Stripe too, and payorch\'s ratio to it'
complete -c payorch -n "__fish_payorch_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "webhooks" -d 'Unique, validly signed Stripe webhooks into serve\'s /webhooks/{tenant}/stripe'
