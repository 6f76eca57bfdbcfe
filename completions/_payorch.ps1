
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'payorch' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'payorch'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'payorch' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented default config file and create the data dir and database')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the effective configuration')
            [CompletionResult]::new('tenant', 'tenant', [CompletionResultType]::ParameterValue, 'Create and list tenants (merchants)')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'The fleet backend''s DynamoDB table and SQS queues: create them, show their status')
            [CompletionResult]::new('datakey', 'datakey', [CompletionResultType]::ParameterValue, 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import')
            [CompletionResult]::new('apikey', 'apikey', [CompletionResultType]::ParameterValue, 'Create, list and revoke API keys')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler')
            [CompletionResult]::new('charge', 'charge', [CompletionResultType]::ParameterValue, 'Create, show, list and refund charges (in-process, same core as `serve`)')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Resolve unknown charges and cancel orphans once, by asking the gateways')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read the audit log of operator actions')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Reports: what charges cost (by gateway, method, tenant or day) and a month''s billing per tenant, as tables, JSON or CSV')
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring')
            [CompletionResult]::new('breaker', 'breaker', [CompletionResultType]::ParameterValue, 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic')
            [CompletionResult]::new('dashboard', 'dashboard', [CompletionResultType]::ParameterValue, 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Outbound webhooks: the tenant''s endpoint and its signing secret')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'The tenant''s outbound events: list, show, and resend one to the merchant')
            [CompletionResult]::new('amount', 'amount', [CompletionResultType]::ParameterValue, 'Convert an amount as people write it (10,50) to the API''s minor units (1050)')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing config file with the commented defaults')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;config;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;config;help;show' {
            break
        }
        'payorch;config;help;help' {
            break
        }
        'payorch;tenant' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a tenant')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tenants')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;tenant;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A human-readable name [default: the id]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;tenant;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;tenant;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a tenant')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tenants')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;tenant;help;create' {
            break
        }
        'payorch;tenant;help;list' {
            break
        }
        'payorch;tenant;help;help' {
            break
        }
        'payorch;aws' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The table''s and indexes'' status, and both queues'' depths')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;aws;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;aws;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;aws;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The table''s and indexes'' status, and both queues'' depths')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;aws;help;init' {
            break
        }
        'payorch;aws;help;status' {
            break
        }
        'payorch;aws;help;help' {
            break
        }
        'payorch;datakey' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Where the data key comes from, its id, and which key each endpoint''s secret is under')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;datakey;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Also print the keys themselves (base64), to back them up somewhere safe')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;datakey;rotate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;datakey;generate' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;datakey;import' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;datakey;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Where the data key comes from, its id, and which key each endpoint''s secret is under')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;datakey;help;show' {
            break
        }
        'payorch;datakey;help;rotate' {
            break
        }
        'payorch;datakey;help;generate' {
            break
        }
        'payorch;datakey;help;import' {
            break
        }
        'payorch;datakey;help;help' {
            break
        }
        'payorch;apikey' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key for the tenant (--tenant); its secret is shown only this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenant''s keys (prefix only, never the secret)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: requests using it are refused from now on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;apikey;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A label, e.g. "checkout backend"')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'This key''s own request rate instead of `[limits] key`: COUNT/s, COUNT/min, COUNT/h (burst: one period''s worth), or `off` (the tenant''s limit still applies)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;apikey;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;apikey;update' {
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'COUNT/s, COUNT/min, COUNT/h, `off` (no limit of its own), or `default` (back to `[limits] key`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;apikey;revoke' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;apikey;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key for the tenant (--tenant); its secret is shown only this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenant''s keys (prefix only, never the secret)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: requests using it are refused from now on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;apikey;help;create' {
            break
        }
        'payorch;apikey;help;list' {
            break
        }
        'payorch;apikey;help;update' {
            break
        }
        'payorch;apikey;help;revoke' {
            break
        }
        'payorch;apikey;help;help' {
            break
        }
        'payorch;serve' {
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to listen on [default: the config''s server.bind]; port 0 picks a free port')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Use a running `payorch sandbox` at URL for every gateway (its test credentials), and have it send its webhooks here, to the tenant''s inbound routes (--tenant)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log lines as text or JSON [default: the config''s log.format]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;charge' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one charge')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List charges, newest first')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a charge, fully or in part, at the gateway that holds it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;charge;create' {
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Amount as people write it (10.50 or 10,50), or minor units with --minor')
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'ISO 4217 currency of --amount: BRL, USD, EUR, JPY, …')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'pix, card, boleto or link (a hosted page where the payer chooses)')
            [CompletionResult]::new('--customer-name', '--customer-name', [CompletionResultType]::ParameterName, 'The payer''s name')
            [CompletionResult]::new('--customer-document', '--customer-document', [CompletionResultType]::ParameterName, 'CPF or CNPJ (required for Pix, boleto and link in BRL)')
            [CompletionResult]::new('--customer-email', '--customer-email', [CompletionResultType]::ParameterName, 'The payer''s email (gateways send receipts to it)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'What the charge is for, shown to the payer where the gateway shows it')
            [CompletionResult]::new('--metadata', '--metadata', [CompletionResultType]::ParameterName, 'KEY=VALUE, repeatable')
            [CompletionResult]::new('--card-token', '--card-token', [CompletionResultType]::ParameterName, 'GATEWAY=TOKEN for card charges, repeatable (e.g. stripe=pm_card_visa)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'Pin one gateway: no routing, no failover')
            [CompletionResult]::new('--idempotency-key', '--idempotency-key', [CompletionResultType]::ParameterName, 'Reuse to retry safely; generated and printed when not given')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Use a running `payorch sandbox` at URL for every gateway')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--minor', '--minor', [CompletionResultType]::ParameterName, '--amount is in minor units (cents)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;charge;get' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;charge;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only charges in this status (`failed` includes declined ones)')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'Only charges held by this gateway: stripe, efi or asaas')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many charges to show, 1 to 100')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;charge;refund' {
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Amount to refund, in the charge''s currency (10.50 or 10,50) [default: everything still refundable]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the gateway and the audit log')
            [CompletionResult]::new('--idempotency-key', '--idempotency-key', [CompletionResultType]::ParameterName, 'Reuse to retry safely; generated and printed when not given')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Use a running `payorch sandbox` at URL for every gateway')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--minor', '--minor', [CompletionResultType]::ParameterName, '--amount is in minor units (cents)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;charge;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one charge')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List charges, newest first')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a charge, fully or in part, at the gateway that holds it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;charge;help;create' {
            break
        }
        'payorch;charge;help;get' {
            break
        }
        'payorch;charge;help;list' {
            break
        }
        'payorch;charge;help;refund' {
            break
        }
        'payorch;charge;help;help' {
            break
        }
        'payorch;reconcile' {
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Use a running `payorch sandbox` at URL for every gateway')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;audit' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List audit entries, newest first')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;audit;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many entries')
            [CompletionResult]::new('--starting-after', '--starting-after', [CompletionResultType]::ParameterName, 'Entries older than this id (from a previous page)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant''s entries, not only --tenant''s')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;audit;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List audit entries, newest first')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;audit;help;list' {
            break
        }
        'payorch;audit;help;help' {
            break
        }
        'payorch;report' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('costs', 'costs', [CompletionResultType]::ParameterValue, 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day')
            [CompletionResult]::new('billing', 'billing', [CompletionResultType]::ParameterValue, 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;report;costs' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start, included: a date YYYY-MM-DD (from its first instant at --utc-offset) or an RFC 3339 time [default: the first day of --to''s month]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'End: a date YYYY-MM-DD (included, to its last instant at --utc-offset) or an RFC 3339 time (excluded) [default: now]')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'One row per gateway, payment method, tenant or day (and per currency)')
            [CompletionResult]::new('--utc-offset', '--utc-offset', [CompletionResultType]::ParameterName, 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;report;billing' {
            [CompletionResult]::new('--month', '--month', [CompletionResultType]::ParameterName, 'The month, YYYY-MM (from its first day to its last at --utc-offset)')
            [CompletionResult]::new('--utc-offset', '--utc-offset', [CompletionResultType]::ParameterName, 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;report;help' {
            [CompletionResult]::new('costs', 'costs', [CompletionResultType]::ParameterValue, 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day')
            [CompletionResult]::new('billing', 'billing', [CompletionResultType]::ParameterValue, 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;report;help;costs' {
            break
        }
        'payorch;report;help;billing' {
            break
        }
        'payorch;report;help;help' {
            break
        }
        'payorch;gateway' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a gateway the tenant''s primary; the old primary becomes the first fallback')
            [CompletionResult]::new('fallback', 'fallback', [CompletionResultType]::ParameterValue, 'Set the tenant''s fallbacks, tried in order after the primary')
            [CompletionResult]::new('strategy', 'strategy', [CompletionResultType]::ParameterValue, 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;gateway;list' {
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Show the gateways a `serve --sandbox URL` uses: the sandbox''s test accounts')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;switch' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;fallback' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--none', '--none', [CompletionResultType]::ParameterName, 'No fallbacks: charges go to the primary only')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;strategy' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;credentials' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which secrets are set, where each comes from, and a masked hint (never the value)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets from the OS keyring (every field, or only --field)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;gateway;credentials;set' {
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'Set only this field (e.g. secret_key)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;credentials;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;credentials;delete' {
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'Delete only this field (e.g. webhook_secret)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;gateway;credentials;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which secrets are set, where each comes from, and a masked hint (never the value)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets from the OS keyring (every field, or only --field)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;gateway;credentials;help;set' {
            break
        }
        'payorch;gateway;credentials;help;show' {
            break
        }
        'payorch;gateway;credentials;help;delete' {
            break
        }
        'payorch;gateway;credentials;help;help' {
            break
        }
        'payorch;gateway;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a gateway the tenant''s primary; the old primary becomes the first fallback')
            [CompletionResult]::new('fallback', 'fallback', [CompletionResultType]::ParameterValue, 'Set the tenant''s fallbacks, tried in order after the primary')
            [CompletionResult]::new('strategy', 'strategy', [CompletionResultType]::ParameterValue, 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;gateway;help;list' {
            break
        }
        'payorch;gateway;help;switch' {
            break
        }
        'payorch;gateway;help;fallback' {
            break
        }
        'payorch;gateway;help;strategy' {
            break
        }
        'payorch;gateway;help;credentials' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which secrets are set, where each comes from, and a masked hint (never the value)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets from the OS keyring (every field, or only --field)')
            break
        }
        'payorch;gateway;help;credentials;set' {
            break
        }
        'payorch;gateway;help;credentials;show' {
            break
        }
        'payorch;gateway;help;credentials;delete' {
            break
        }
        'payorch;gateway;help;help' {
            break
        }
        'payorch;breaker' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker closed: every charge may go to it, failures never open it')
            [CompletionResult]::new('auto', 'auto', [CompletionResultType]::ParameterValue, 'Return a gateway''s breaker to automatic: closed, with a fresh window')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;breaker;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant''s breakers, not only --tenant''s')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;breaker;open' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long, e.g. 10m or 2h; without it, until `breaker auto` or `breaker close`')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;breaker;close' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;breaker;auto' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;breaker;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker closed: every charge may go to it, failures never open it')
            [CompletionResult]::new('auto', 'auto', [CompletionResultType]::ParameterValue, 'Return a gateway''s breaker to automatic: closed, with a fresh window')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;breaker;help;status' {
            break
        }
        'payorch;breaker;help;open' {
            break
        }
        'payorch;breaker;help;close' {
            break
        }
        'payorch;breaker;help;auto' {
            break
        }
        'payorch;breaker;help;help' {
            break
        }
        'payorch;dashboard' {
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'How often to re-read the store, from 200ms to 1h')
            [CompletionResult]::new('--utc-offset', '--utc-offset', [CompletionResultType]::ParameterName, 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('endpoint', 'endpoint', [CompletionResultType]::ParameterValue, 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'The signing secret: rotate it, keeping the old one valid for an overlap')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;endpoint' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'The endpoint, its state and its signing secret (masked)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Stop deliveries for now: events are kept and wait until `enable`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;endpoint;set' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook;endpoint;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Print the signing secrets in full')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook;endpoint;enable' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook;endpoint;disable' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, recorded on the endpoint and in the audit log')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook;endpoint;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'The endpoint, its state and its signing secret (masked)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Stop deliveries for now: events are kept and wait until `enable`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;endpoint;help;set' {
            break
        }
        'payorch;webhook;endpoint;help;show' {
            break
        }
        'payorch;webhook;endpoint;help;enable' {
            break
        }
        'payorch;webhook;endpoint;help;disable' {
            break
        }
        'payorch;webhook;endpoint;help;help' {
            break
        }
        'payorch;webhook;secret' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace the signing secret; deliveries carry both signatures during the overlap')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;secret;rotate' {
            [CompletionResult]::new('--overlap', '--overlap', [CompletionResultType]::ParameterName, 'How long the old secret keeps signing too (0s: not at all)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;webhook;secret;help' {
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace the signing secret; deliveries carry both signatures during the overlap')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;secret;help;rotate' {
            break
        }
        'payorch;webhook;secret;help;help' {
            break
        }
        'payorch;webhook;help' {
            [CompletionResult]::new('endpoint', 'endpoint', [CompletionResultType]::ParameterValue, 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'The signing secret: rotate it, keeping the old one valid for an overlap')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;webhook;help;endpoint' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'The endpoint, its state and its signing secret (masked)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Stop deliveries for now: events are kept and wait until `enable`')
            break
        }
        'payorch;webhook;help;endpoint;set' {
            break
        }
        'payorch;webhook;help;endpoint;show' {
            break
        }
        'payorch;webhook;help;endpoint;enable' {
            break
        }
        'payorch;webhook;help;endpoint;disable' {
            break
        }
        'payorch;webhook;help;secret' {
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace the signing secret; deliveries carry both signatures during the overlap')
            break
        }
        'payorch;webhook;help;secret;rotate' {
            break
        }
        'payorch;webhook;help;help' {
            break
        }
        'payorch;dlq' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s dead letters, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One dead letter: its event, last error and every recorded attempt')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put dead letters back in the delivery queue, to be delivered now')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead letters for good (asks first unless --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;dlq;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only those that died at or after this: RFC 3339 (2026-11-24T03:00:00Z) or an age (24h)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;dlq;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;dlq;replay' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every dead letter of the tenant')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be replayed')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;dlq;purge' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every dead letter of the tenant')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (needed without a terminal)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;dlq;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s dead letters, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One dead letter: its event, last error and every recorded attempt')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put dead letters back in the delivery queue, to be delivered now')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead letters for good (asks first unless --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;dlq;help;list' {
            break
        }
        'payorch;dlq;help;show' {
            break
        }
        'payorch;dlq;help;replay' {
            break
        }
        'payorch;dlq;help;purge' {
            break
        }
        'payorch;dlq;help;help' {
            break
        }
        'payorch;events' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s events, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One event''s JSON, exactly as it is delivered')
            [CompletionResult]::new('resend', 'resend', [CompletionResultType]::ParameterValue, 'Deliver an event again: the same body and event id, queued now')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;events;list' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only events of this type, e.g. charge.succeeded')
            [CompletionResult]::new('--charge', '--charge', [CompletionResultType]::ParameterName, 'Only events about this charge (`ch_…`)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many')
            [CompletionResult]::new('--starting-after', '--starting-after', [CompletionResultType]::ParameterName, 'Only events older than this event id (the previous page''s last one)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;events;show' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;events;resend' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;events;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s events, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One event''s JSON, exactly as it is delivered')
            [CompletionResult]::new('resend', 'resend', [CompletionResultType]::ParameterValue, 'Deliver an event again: the same body and event id, queued now')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;events;help;list' {
            break
        }
        'payorch;events;help;show' {
            break
        }
        'payorch;events;help;resend' {
            break
        }
        'payorch;events;help;help' {
            break
        }
        'payorch;amount' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'ISO 4217 currency: BRL, USD, EUR, JPY, …')
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'ISO 4217 currency: BRL, USD, EUR, JPY, …')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--minor', '--minor', [CompletionResultType]::ParameterName, 'AMOUNT is already in minor units (cents)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox' {
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address of the main listener; each gateway also gets its own listener on the next ports')
            [CompletionResult]::new('--webhook-url', '--webhook-url', [CompletionResultType]::ParameterName, 'Where a gateway''s webhooks go, e.g. stripe=http://127.0.0.1:8080/webhooks/default/stripe (repeatable)')
            [CompletionResult]::new('--asaas-refund-delay', '--asaas-refund-delay', [CompletionResultType]::ParameterName, 'How long the Asaas fake keeps a refund PENDING before it settles it (DONE, with its webhook); 0s settles it right after answering')
            [CompletionResult]::new('--max-objects', '--max-objects', [CompletionResultType]::ParameterName, 'How many objects of each kind (intents, charges, refunds, customers, cobs, payments, idempotency keys) each fake keeps; past it the oldest settled ones are evicted (and answer 404), and with none settled new ones are refused with the gateway''s 429')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('mode', 'mode', [CompletionResultType]::ParameterValue, 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request')
            [CompletionResult]::new('pay', 'pay', [CompletionResultType]::ParameterValue, 'Mark a pending charge paid; the fake sends its gateway''s webhook')
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'List the charges the fakes hold')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Register the URL a gateway''s webhooks are sent to')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Show the webhook delivery log')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the gateways: base URLs, test credentials, modes, webhook URLs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;sandbox;mode' {
            [CompletionResult]::new('--latency', '--latency', [CompletionResultType]::ParameterName, 'Added latency in milliseconds (slow: before the request is processed; lost: after, before its answer)')
            [CompletionResult]::new('--error-rate', '--error-rate', [CompletionResultType]::ParameterName, 'Share of requests that fail, 0 to 1 (flaky)')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Status to answer with (down: instead of refusing connections; flaky: default 503)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Only requests with this method and path (the gateway''s own; a trailing * makes it a prefix), e.g. ''POST /v3/payments''; the others are answered normally')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;pay' {
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'The gateway holding it [default: whichever knows the id]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;charges' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;webhook' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;webhooks' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;info' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The running sandbox''s address')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;sandbox;help' {
            [CompletionResult]::new('mode', 'mode', [CompletionResultType]::ParameterValue, 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request')
            [CompletionResult]::new('pay', 'pay', [CompletionResultType]::ParameterValue, 'Mark a pending charge paid; the fake sends its gateway''s webhook')
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'List the charges the fakes hold')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Register the URL a gateway''s webhooks are sent to')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Show the webhook delivery log')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the gateways: base URLs, test credentials, modes, webhook URLs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;sandbox;help;mode' {
            break
        }
        'payorch;sandbox;help;pay' {
            break
        }
        'payorch;sandbox;help;charges' {
            break
        }
        'payorch;sandbox;help;webhook' {
            break
        }
        'payorch;sandbox;help;webhooks' {
            break
        }
        'payorch;sandbox;help;info' {
            break
        }
        'payorch;sandbox;help;help' {
            break
        }
        'payorch;demo' {
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to run, e.g. 20s or 2m [default: 30s with --headless; with the dashboard, until q]')
            [CompletionResult]::new('--outage', '--outage', [CompletionResultType]::ParameterName, 'Take GATEWAY down (connections refused) from FROM to TO after the start, e.g. stripe:5s-12s (repeatable) [default headless: the primary, from 20% to 50% of the run]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Charges per second (0.1 to 50)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for reproducible traffic [default: random, printed in the summary]')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where the demo keeps its state: a throwaway SQLite file, or a fresh table and queues on DynamoDB + SQS at --aws-endpoint (an emulator; see the README''s "Running a fleet")')
            [CompletionResult]::new('--aws-endpoint', '--aws-endpoint', [CompletionResultType]::ParameterName, 'The AWS endpoint for `--backend dynamodb`, e.g. http://127.0.0.1:5000 (region us-east-1 unless AWS_REGION is set; credentials from the AWS chain, else the emulator''s placeholder)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--headless', '--headless', [CompletionResultType]::ParameterName, 'No dashboard: apply the --outage schedule, then print the summary (for scripts, tests)')
            [CompletionResult]::new('--no-outage', '--no-outage', [CompletionResultType]::ParameterName, 'Headless: no outage at all (all gateways up the whole run)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the temporary data dir at the end and print its path')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;bench' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;bench;charges' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Connections, each with one request in flight at a time')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Send this many requests in all, then stop')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on one request after this long (it counts as a `timeout` error)')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'An API key of the tenant (`payorch apikey create`)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The payment method of every charge')
            [CompletionResult]::new('--direct', '--direct', [CompletionResultType]::ParameterName, 'Also send the same load straight to this sandbox''s Stripe (`payorch sandbox`''s URL)')
            [CompletionResult]::new('--receiver', '--receiver', [CompletionResultType]::ParameterName, 'Count the events serve delivers to a receiver listening here (the tenant''s webhook endpoint must point at it), e.g. 127.0.0.1:9099')
            [CompletionResult]::new('--drain', '--drain', [CompletionResultType]::ParameterName, 'With --receiver: stop waiting for deliveries after this long without one')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;bench;webhooks' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Connections, each with one request in flight at a time')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Send this many requests in all, then stop')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on one request after this long (it counts as a `timeout` error)')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The Stripe webhook signing secret serve verifies with [default: the sandbox''s]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;bench;help' {
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;bench;help;charges' {
            break
        }
        'payorch;bench;help;webhooks' {
            break
        }
        'payorch;bench;help;help' {
            break
        }
        'payorch;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory [default: $XDG_DATA_HOME/payorch]')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Tenant to act on [default: the config''s `tenant`, else "default"]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No ANSI colours (also: the NO_COLOR environment variable)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'payorch;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented default config file and create the data dir and database')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the effective configuration')
            [CompletionResult]::new('tenant', 'tenant', [CompletionResultType]::ParameterValue, 'Create and list tenants (merchants)')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'The fleet backend''s DynamoDB table and SQS queues: create them, show their status')
            [CompletionResult]::new('datakey', 'datakey', [CompletionResultType]::ParameterValue, 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import')
            [CompletionResult]::new('apikey', 'apikey', [CompletionResultType]::ParameterValue, 'Create, list and revoke API keys')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler')
            [CompletionResult]::new('charge', 'charge', [CompletionResultType]::ParameterValue, 'Create, show, list and refund charges (in-process, same core as `serve`)')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Resolve unknown charges and cancel orphans once, by asking the gateways')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read the audit log of operator actions')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Reports: what charges cost (by gateway, method, tenant or day) and a month''s billing per tenant, as tables, JSON or CSV')
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring')
            [CompletionResult]::new('breaker', 'breaker', [CompletionResultType]::ParameterValue, 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic')
            [CompletionResult]::new('dashboard', 'dashboard', [CompletionResultType]::ParameterValue, 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Outbound webhooks: the tenant''s endpoint and its signing secret')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'The tenant''s outbound events: list, show, and resend one to the merchant')
            [CompletionResult]::new('amount', 'amount', [CompletionResultType]::ParameterValue, 'Convert an amount as people write it (10,50) to the API''s minor units (1050)')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'payorch;help;init' {
            break
        }
        'payorch;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)')
            break
        }
        'payorch;help;config;show' {
            break
        }
        'payorch;help;tenant' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a tenant')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tenants')
            break
        }
        'payorch;help;tenant;create' {
            break
        }
        'payorch;help;tenant;list' {
            break
        }
        'payorch;help;aws' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The table''s and indexes'' status, and both queues'' depths')
            break
        }
        'payorch;help;aws;init' {
            break
        }
        'payorch;help;aws;status' {
            break
        }
        'payorch;help;datakey' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Where the data key comes from, its id, and which key each endpoint''s secret is under')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again')
            break
        }
        'payorch;help;datakey;show' {
            break
        }
        'payorch;help;datakey;rotate' {
            break
        }
        'payorch;help;datakey;generate' {
            break
        }
        'payorch;help;datakey;import' {
            break
        }
        'payorch;help;apikey' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a key for the tenant (--tenant); its secret is shown only this once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenant''s keys (prefix only, never the secret)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a key: requests using it are refused from now on')
            break
        }
        'payorch;help;apikey;create' {
            break
        }
        'payorch;help;apikey;list' {
            break
        }
        'payorch;help;apikey;update' {
            break
        }
        'payorch;help;apikey;revoke' {
            break
        }
        'payorch;help;serve' {
            break
        }
        'payorch;help;charge' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show one charge')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List charges, newest first')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a charge, fully or in part, at the gateway that holds it')
            break
        }
        'payorch;help;charge;create' {
            break
        }
        'payorch;help;charge;get' {
            break
        }
        'payorch;help;charge;list' {
            break
        }
        'payorch;help;charge;refund' {
            break
        }
        'payorch;help;reconcile' {
            break
        }
        'payorch;help;audit' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List audit entries, newest first')
            break
        }
        'payorch;help;audit;list' {
            break
        }
        'payorch;help;report' {
            [CompletionResult]::new('costs', 'costs', [CompletionResultType]::ParameterValue, 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day')
            [CompletionResult]::new('billing', 'billing', [CompletionResultType]::ParameterValue, 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net')
            break
        }
        'payorch;help;report;costs' {
            break
        }
        'payorch;help;report;billing' {
            break
        }
        'payorch;help;gateway' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes')
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, 'Make a gateway the tenant''s primary; the old primary becomes the first fallback')
            [CompletionResult]::new('fallback', 'fallback', [CompletionResultType]::ParameterValue, 'Set the tenant''s fallbacks, tried in order after the primary')
            [CompletionResult]::new('strategy', 'strategy', [CompletionResultType]::ParameterValue, 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)')
            break
        }
        'payorch;help;gateway;list' {
            break
        }
        'payorch;help;gateway;switch' {
            break
        }
        'payorch;help;gateway;fallback' {
            break
        }
        'payorch;help;gateway;strategy' {
            break
        }
        'payorch;help;gateway;credentials' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show which secrets are set, where each comes from, and a masked hint (never the value)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets from the OS keyring (every field, or only --field)')
            break
        }
        'payorch;help;gateway;credentials;set' {
            break
        }
        'payorch;help;gateway;credentials;show' {
            break
        }
        'payorch;help;gateway;credentials;delete' {
            break
        }
        'payorch;help;breaker' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)')
            [CompletionResult]::new('open', 'open', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)')
            [CompletionResult]::new('close', 'close', [CompletionResultType]::ParameterValue, 'Force a gateway''s breaker closed: every charge may go to it, failures never open it')
            [CompletionResult]::new('auto', 'auto', [CompletionResultType]::ParameterValue, 'Return a gateway''s breaker to automatic: closed, with a fresh window')
            break
        }
        'payorch;help;breaker;status' {
            break
        }
        'payorch;help;breaker;open' {
            break
        }
        'payorch;help;breaker;close' {
            break
        }
        'payorch;help;breaker;auto' {
            break
        }
        'payorch;help;dashboard' {
            break
        }
        'payorch;help;webhook' {
            [CompletionResult]::new('endpoint', 'endpoint', [CompletionResultType]::ParameterValue, 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'The signing secret: rotate it, keeping the old one valid for an overlap')
            break
        }
        'payorch;help;webhook;endpoint' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'The endpoint, its state and its signing secret (masked)')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Stop deliveries for now: events are kept and wait until `enable`')
            break
        }
        'payorch;help;webhook;endpoint;set' {
            break
        }
        'payorch;help;webhook;endpoint;show' {
            break
        }
        'payorch;help;webhook;endpoint;enable' {
            break
        }
        'payorch;help;webhook;endpoint;disable' {
            break
        }
        'payorch;help;webhook;secret' {
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace the signing secret; deliveries carry both signatures during the overlap')
            break
        }
        'payorch;help;webhook;secret;rotate' {
            break
        }
        'payorch;help;dlq' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s dead letters, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One dead letter: its event, last error and every recorded attempt')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Put dead letters back in the delivery queue, to be delivered now')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead letters for good (asks first unless --yes)')
            break
        }
        'payorch;help;dlq;list' {
            break
        }
        'payorch;help;dlq;show' {
            break
        }
        'payorch;help;dlq;replay' {
            break
        }
        'payorch;help;dlq;purge' {
            break
        }
        'payorch;help;events' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The tenant''s events, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One event''s JSON, exactly as it is delivered')
            [CompletionResult]::new('resend', 'resend', [CompletionResultType]::ParameterValue, 'Deliver an event again: the same body and event id, queued now')
            break
        }
        'payorch;help;events;list' {
            break
        }
        'payorch;help;events;show' {
            break
        }
        'payorch;help;events;resend' {
            break
        }
        'payorch;help;amount' {
            break
        }
        'payorch;help;sandbox' {
            [CompletionResult]::new('mode', 'mode', [CompletionResultType]::ParameterValue, 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request')
            [CompletionResult]::new('pay', 'pay', [CompletionResultType]::ParameterValue, 'Mark a pending charge paid; the fake sends its gateway''s webhook')
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'List the charges the fakes hold')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Register the URL a gateway''s webhooks are sent to')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Show the webhook delivery log')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the gateways: base URLs, test credentials, modes, webhook URLs')
            break
        }
        'payorch;help;sandbox;mode' {
            break
        }
        'payorch;help;sandbox;pay' {
            break
        }
        'payorch;help;sandbox;charges' {
            break
        }
        'payorch;help;sandbox;webhook' {
            break
        }
        'payorch;help;sandbox;webhooks' {
            break
        }
        'payorch;help;sandbox;info' {
            break
        }
        'payorch;help;demo' {
            break
        }
        'payorch;help;bench' {
            [CompletionResult]::new('charges', 'charges', [CompletionResultType]::ParameterValue, 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe')
            break
        }
        'payorch;help;bench;charges' {
            break
        }
        'payorch;help;bench;webhooks' {
            break
        }
        'payorch;help;completions' {
            break
        }
        'payorch;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
