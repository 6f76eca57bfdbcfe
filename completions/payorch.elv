
use builtin;
use str;

set edit:completion:arg-completer[payorch] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'payorch'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'payorch'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Write a commented default config file and create the data dir and database'
            cand config 'Inspect the effective configuration'
            cand tenant 'Create and list tenants (merchants)'
            cand aws 'The fleet backend''s DynamoDB table and SQS queues: create them, show their status'
            cand datakey 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import'
            cand apikey 'Create, list and revoke API keys'
            cand serve 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler'
            cand charge 'Create, show, list and refund charges (in-process, same core as `serve`)'
            cand reconcile 'Resolve unknown charges and cancel orphans once, by asking the gateways'
            cand audit 'Read the audit log of operator actions'
            cand report 'Reports: what charges cost (by gateway, method, tenant or day) and a month''s billing per tenant, as tables, JSON or CSV'
            cand gateway 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring'
            cand breaker 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic'
            cand dashboard 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay'
            cand webhook 'Outbound webhooks: the tenant''s endpoint and its signing secret'
            cand dlq 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge'
            cand events 'The tenant''s outbound events: list, show, and resend one to the merchant'
            cand amount 'Convert an amount as people write it (10,50) to the API''s minor units (1050)'
            cand sandbox 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one'
            cand demo 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover'
            cand bench 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;init'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --force 'Overwrite an existing config file with the commented defaults'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;config'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;config;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;config;help'= {
            cand show 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;config;help;show'= {
        }
        &'payorch;config;help;help'= {
        }
        &'payorch;tenant'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a tenant'
            cand list 'List tenants'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;tenant;create'= {
            cand --name 'A human-readable name [default: the id]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;tenant;list'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;tenant;help'= {
            cand create 'Create a tenant'
            cand list 'List tenants'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;tenant;help;create'= {
        }
        &'payorch;tenant;help;list'= {
        }
        &'payorch;tenant;help;help'= {
        }
        &'payorch;aws'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
            cand status 'The table''s and indexes'' status, and both queues'' depths'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;aws;init'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;aws;status'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;aws;help'= {
            cand init 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
            cand status 'The table''s and indexes'' status, and both queues'' depths'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;aws;help;init'= {
        }
        &'payorch;aws;help;status'= {
        }
        &'payorch;aws;help;help'= {
        }
        &'payorch;datakey'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Where the data key comes from, its id, and which key each endpoint''s secret is under'
            cand rotate 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
            cand generate 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
            cand import 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;datakey;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --reveal 'Also print the keys themselves (base64), to back them up somewhere safe'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;datakey;rotate'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;datakey;generate'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;datakey;import'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;datakey;help'= {
            cand show 'Where the data key comes from, its id, and which key each endpoint''s secret is under'
            cand rotate 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
            cand generate 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
            cand import 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;datakey;help;show'= {
        }
        &'payorch;datakey;help;rotate'= {
        }
        &'payorch;datakey;help;generate'= {
        }
        &'payorch;datakey;help;import'= {
        }
        &'payorch;datakey;help;help'= {
        }
        &'payorch;apikey'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a key for the tenant (--tenant); its secret is shown only this once'
            cand list 'List the tenant''s keys (prefix only, never the secret)'
            cand update 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
            cand revoke 'Revoke a key: requests using it are refused from now on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;apikey;create'= {
            cand --name 'A label, e.g. "checkout backend"'
            cand --rate-limit 'This key''s own request rate instead of `[limits] key`: COUNT/s, COUNT/min, COUNT/h (burst: one period''s worth), or `off` (the tenant''s limit still applies)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;apikey;list'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;apikey;update'= {
            cand --rate-limit 'COUNT/s, COUNT/min, COUNT/h, `off` (no limit of its own), or `default` (back to `[limits] key`)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;apikey;revoke'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;apikey;help'= {
            cand create 'Create a key for the tenant (--tenant); its secret is shown only this once'
            cand list 'List the tenant''s keys (prefix only, never the secret)'
            cand update 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
            cand revoke 'Revoke a key: requests using it are refused from now on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;apikey;help;create'= {
        }
        &'payorch;apikey;help;list'= {
        }
        &'payorch;apikey;help;update'= {
        }
        &'payorch;apikey;help;revoke'= {
        }
        &'payorch;apikey;help;help'= {
        }
        &'payorch;serve'= {
            cand --bind 'Address to listen on [default: the config''s server.bind]; port 0 picks a free port'
            cand --sandbox 'Use a running `payorch sandbox` at URL for every gateway (its test credentials), and have it send its webhooks here, to the tenant''s inbound routes (--tenant)'
            cand --log-format 'Log lines as text or JSON [default: the config''s log.format]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;charge'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
            cand get 'Show one charge'
            cand list 'List charges, newest first'
            cand refund 'Refund a charge, fully or in part, at the gateway that holds it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;charge;create'= {
            cand --amount 'Amount as people write it (10.50 or 10,50), or minor units with --minor'
            cand --currency 'ISO 4217 currency of --amount: BRL, USD, EUR, JPY, …'
            cand --method 'pix, card, boleto or link (a hosted page where the payer chooses)'
            cand --customer-name 'The payer''s name'
            cand --customer-document 'CPF or CNPJ (required for Pix, boleto and link in BRL)'
            cand --customer-email 'The payer''s email (gateways send receipts to it)'
            cand --description 'What the charge is for, shown to the payer where the gateway shows it'
            cand --metadata 'KEY=VALUE, repeatable'
            cand --card-token 'GATEWAY=TOKEN for card charges, repeatable (e.g. stripe=pm_card_visa)'
            cand --gateway 'Pin one gateway: no routing, no failover'
            cand --idempotency-key 'Reuse to retry safely; generated and printed when not given'
            cand --sandbox 'Use a running `payorch sandbox` at URL for every gateway'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --minor '--amount is in minor units (cents)'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;charge;get'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;charge;list'= {
            cand --status 'Only charges in this status (`failed` includes declined ones)'
            cand --gateway 'Only charges held by this gateway: stripe, efi or asaas'
            cand --limit 'How many charges to show, 1 to 100'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;charge;refund'= {
            cand --amount 'Amount to refund, in the charge''s currency (10.50 or 10,50) [default: everything still refundable]'
            cand --reason 'Why, for the gateway and the audit log'
            cand --idempotency-key 'Reuse to retry safely; generated and printed when not given'
            cand --sandbox 'Use a running `payorch sandbox` at URL for every gateway'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --minor '--amount is in minor units (cents)'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;charge;help'= {
            cand create 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
            cand get 'Show one charge'
            cand list 'List charges, newest first'
            cand refund 'Refund a charge, fully or in part, at the gateway that holds it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;charge;help;create'= {
        }
        &'payorch;charge;help;get'= {
        }
        &'payorch;charge;help;list'= {
        }
        &'payorch;charge;help;refund'= {
        }
        &'payorch;charge;help;help'= {
        }
        &'payorch;reconcile'= {
            cand --sandbox 'Use a running `payorch sandbox` at URL for every gateway'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;audit'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List audit entries, newest first'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;audit;list'= {
            cand --limit 'How many entries'
            cand --starting-after 'Entries older than this id (from a previous page)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all-tenants 'Every tenant''s entries, not only --tenant''s'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;audit;help'= {
            cand list 'List audit entries, newest first'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;audit;help;list'= {
        }
        &'payorch;audit;help;help'= {
        }
        &'payorch;report'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand costs 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
            cand billing 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;report;costs'= {
            cand --from 'Start, included: a date YYYY-MM-DD (from its first instant at --utc-offset) or an RFC 3339 time [default: the first day of --to''s month]'
            cand --to 'End: a date YYYY-MM-DD (included, to its last instant at --utc-offset) or an RFC 3339 time (excluded) [default: now]'
            cand --by 'One row per gateway, payment method, tenant or day (and per currency)'
            cand --utc-offset 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;report;billing'= {
            cand --month 'The month, YYYY-MM (from its first day to its last at --utc-offset)'
            cand --utc-offset 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;report;help'= {
            cand costs 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
            cand billing 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;report;help;costs'= {
        }
        &'payorch;report;help;billing'= {
        }
        &'payorch;report;help;help'= {
        }
        &'payorch;gateway'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes'
            cand switch 'Make a gateway the tenant''s primary; the old primary becomes the first fallback'
            cand fallback 'Set the tenant''s fallbacks, tried in order after the primary'
            cand strategy 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)'
            cand credentials 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;gateway;list'= {
            cand --sandbox 'Show the gateways a `serve --sandbox URL` uses: the sandbox''s test accounts'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;switch'= {
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;fallback'= {
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --none 'No fallbacks: charges go to the primary only'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;strategy'= {
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;credentials'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)'
            cand show 'Show which secrets are set, where each comes from, and a masked hint (never the value)'
            cand delete 'Delete secrets from the OS keyring (every field, or only --field)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;gateway;credentials;set'= {
            cand --field 'Set only this field (e.g. secret_key)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;credentials;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;credentials;delete'= {
            cand --field 'Delete only this field (e.g. webhook_secret)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;gateway;credentials;help'= {
            cand set 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)'
            cand show 'Show which secrets are set, where each comes from, and a masked hint (never the value)'
            cand delete 'Delete secrets from the OS keyring (every field, or only --field)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;gateway;credentials;help;set'= {
        }
        &'payorch;gateway;credentials;help;show'= {
        }
        &'payorch;gateway;credentials;help;delete'= {
        }
        &'payorch;gateway;credentials;help;help'= {
        }
        &'payorch;gateway;help'= {
            cand list 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes'
            cand switch 'Make a gateway the tenant''s primary; the old primary becomes the first fallback'
            cand fallback 'Set the tenant''s fallbacks, tried in order after the primary'
            cand strategy 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)'
            cand credentials 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;gateway;help;list'= {
        }
        &'payorch;gateway;help;switch'= {
        }
        &'payorch;gateway;help;fallback'= {
        }
        &'payorch;gateway;help;strategy'= {
        }
        &'payorch;gateway;help;credentials'= {
            cand set 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)'
            cand show 'Show which secrets are set, where each comes from, and a masked hint (never the value)'
            cand delete 'Delete secrets from the OS keyring (every field, or only --field)'
        }
        &'payorch;gateway;help;credentials;set'= {
        }
        &'payorch;gateway;help;credentials;show'= {
        }
        &'payorch;gateway;help;credentials;delete'= {
        }
        &'payorch;gateway;help;help'= {
        }
        &'payorch;breaker'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
            cand open 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)'
            cand close 'Force a gateway''s breaker closed: every charge may go to it, failures never open it'
            cand auto 'Return a gateway''s breaker to automatic: closed, with a fresh window'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;breaker;status'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all-tenants 'Every tenant''s breakers, not only --tenant''s'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;breaker;open'= {
            cand --for 'How long, e.g. 10m or 2h; without it, until `breaker auto` or `breaker close`'
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;breaker;close'= {
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;breaker;auto'= {
            cand --reason 'Why, for the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;breaker;help'= {
            cand status 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
            cand open 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)'
            cand close 'Force a gateway''s breaker closed: every charge may go to it, failures never open it'
            cand auto 'Return a gateway''s breaker to automatic: closed, with a fresh window'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;breaker;help;status'= {
        }
        &'payorch;breaker;help;open'= {
        }
        &'payorch;breaker;help;close'= {
        }
        &'payorch;breaker;help;auto'= {
        }
        &'payorch;breaker;help;help'= {
        }
        &'payorch;dashboard'= {
            cand --refresh 'How often to re-read the store, from 200ms to 1h'
            cand --utc-offset 'The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand endpoint 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410'
            cand secret 'The signing secret: rotate it, keeping the old one valid for an overlap'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;endpoint'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)'
            cand show 'The endpoint, its state and its signing secret (masked)'
            cand enable 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)'
            cand disable 'Stop deliveries for now: events are kept and wait until `enable`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;endpoint;set'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook;endpoint;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --reveal 'Print the signing secrets in full'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook;endpoint;enable'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook;endpoint;disable'= {
            cand --reason 'Why, recorded on the endpoint and in the audit log'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook;endpoint;help'= {
            cand set 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)'
            cand show 'The endpoint, its state and its signing secret (masked)'
            cand enable 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)'
            cand disable 'Stop deliveries for now: events are kept and wait until `enable`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;endpoint;help;set'= {
        }
        &'payorch;webhook;endpoint;help;show'= {
        }
        &'payorch;webhook;endpoint;help;enable'= {
        }
        &'payorch;webhook;endpoint;help;disable'= {
        }
        &'payorch;webhook;endpoint;help;help'= {
        }
        &'payorch;webhook;secret'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand rotate 'Replace the signing secret; deliveries carry both signatures during the overlap'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;secret;rotate'= {
            cand --overlap 'How long the old secret keeps signing too (0s: not at all)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;webhook;secret;help'= {
            cand rotate 'Replace the signing secret; deliveries carry both signatures during the overlap'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;secret;help;rotate'= {
        }
        &'payorch;webhook;secret;help;help'= {
        }
        &'payorch;webhook;help'= {
            cand endpoint 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410'
            cand secret 'The signing secret: rotate it, keeping the old one valid for an overlap'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;webhook;help;endpoint'= {
            cand set 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)'
            cand show 'The endpoint, its state and its signing secret (masked)'
            cand enable 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)'
            cand disable 'Stop deliveries for now: events are kept and wait until `enable`'
        }
        &'payorch;webhook;help;endpoint;set'= {
        }
        &'payorch;webhook;help;endpoint;show'= {
        }
        &'payorch;webhook;help;endpoint;enable'= {
        }
        &'payorch;webhook;help;endpoint;disable'= {
        }
        &'payorch;webhook;help;secret'= {
            cand rotate 'Replace the signing secret; deliveries carry both signatures during the overlap'
        }
        &'payorch;webhook;help;secret;rotate'= {
        }
        &'payorch;webhook;help;help'= {
        }
        &'payorch;dlq'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'The tenant''s dead letters, newest first'
            cand show 'One dead letter: its event, last error and every recorded attempt'
            cand replay 'Put dead letters back in the delivery queue, to be delivered now'
            cand purge 'Delete dead letters for good (asks first unless --yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;dlq;list'= {
            cand --limit 'At most this many'
            cand --since 'Only those that died at or after this: RFC 3339 (2026-11-24T03:00:00Z) or an age (24h)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;dlq;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;dlq;replay'= {
            cand --since 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all 'Every dead letter of the tenant'
            cand --dry-run 'Only say what would be replayed'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;dlq;purge'= {
            cand --since 'With --all: only those dead since this time (RFC 3339) or for at most this long (24h)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all 'Every dead letter of the tenant'
            cand -y 'Do not ask for confirmation (needed without a terminal)'
            cand --yes 'Do not ask for confirmation (needed without a terminal)'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;dlq;help'= {
            cand list 'The tenant''s dead letters, newest first'
            cand show 'One dead letter: its event, last error and every recorded attempt'
            cand replay 'Put dead letters back in the delivery queue, to be delivered now'
            cand purge 'Delete dead letters for good (asks first unless --yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;dlq;help;list'= {
        }
        &'payorch;dlq;help;show'= {
        }
        &'payorch;dlq;help;replay'= {
        }
        &'payorch;dlq;help;purge'= {
        }
        &'payorch;dlq;help;help'= {
        }
        &'payorch;events'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'The tenant''s events, newest first'
            cand show 'One event''s JSON, exactly as it is delivered'
            cand resend 'Deliver an event again: the same body and event id, queued now'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;events;list'= {
            cand --type 'Only events of this type, e.g. charge.succeeded'
            cand --charge 'Only events about this charge (`ch_…`)'
            cand --limit 'At most this many'
            cand --starting-after 'Only events older than this event id (the previous page''s last one)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;events;show'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;events;resend'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;events;help'= {
            cand list 'The tenant''s events, newest first'
            cand show 'One event''s JSON, exactly as it is delivered'
            cand resend 'Deliver an event again: the same body and event id, queued now'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;events;help;list'= {
        }
        &'payorch;events;help;show'= {
        }
        &'payorch;events;help;resend'= {
        }
        &'payorch;events;help;help'= {
        }
        &'payorch;amount'= {
            cand -c 'ISO 4217 currency: BRL, USD, EUR, JPY, …'
            cand --currency 'ISO 4217 currency: BRL, USD, EUR, JPY, …'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --minor 'AMOUNT is already in minor units (cents)'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox'= {
            cand --bind 'Address of the main listener; each gateway also gets its own listener on the next ports'
            cand --webhook-url 'Where a gateway''s webhooks go, e.g. stripe=http://127.0.0.1:8080/webhooks/default/stripe (repeatable)'
            cand --asaas-refund-delay 'How long the Asaas fake keeps a refund PENDING before it settles it (DONE, with its webhook); 0s settles it right after answering'
            cand --max-objects 'How many objects of each kind (intents, charges, refunds, customers, cobs, payments, idempotency keys) each fake keeps; past it the oldest settled ones are evicted (and answer 404), and with none settled new ones are refused with the gateway''s 429'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand mode 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
            cand pay 'Mark a pending charge paid; the fake sends its gateway''s webhook'
            cand charges 'List the charges the fakes hold'
            cand webhook 'Register the URL a gateway''s webhooks are sent to'
            cand webhooks 'Show the webhook delivery log'
            cand info 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;sandbox;mode'= {
            cand --latency 'Added latency in milliseconds (slow: before the request is processed; lost: after, before its answer)'
            cand --error-rate 'Share of requests that fail, 0 to 1 (flaky)'
            cand --status 'Status to answer with (down: instead of refusing connections; flaky: default 503)'
            cand --only 'Only requests with this method and path (the gateway''s own; a trailing * makes it a prefix), e.g. ''POST /v3/payments''; the others are answered normally'
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;pay'= {
            cand --gateway 'The gateway holding it [default: whichever knows the id]'
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;charges'= {
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;webhook'= {
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;webhooks'= {
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;info'= {
            cand --url 'The running sandbox''s address'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;sandbox;help'= {
            cand mode 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
            cand pay 'Mark a pending charge paid; the fake sends its gateway''s webhook'
            cand charges 'List the charges the fakes hold'
            cand webhook 'Register the URL a gateway''s webhooks are sent to'
            cand webhooks 'Show the webhook delivery log'
            cand info 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;sandbox;help;mode'= {
        }
        &'payorch;sandbox;help;pay'= {
        }
        &'payorch;sandbox;help;charges'= {
        }
        &'payorch;sandbox;help;webhook'= {
        }
        &'payorch;sandbox;help;webhooks'= {
        }
        &'payorch;sandbox;help;info'= {
        }
        &'payorch;sandbox;help;help'= {
        }
        &'payorch;demo'= {
            cand --duration 'How long to run, e.g. 20s or 2m [default: 30s with --headless; with the dashboard, until q]'
            cand --outage 'Take GATEWAY down (connections refused) from FROM to TO after the start, e.g. stripe:5s-12s (repeatable) [default headless: the primary, from 20% to 50% of the run]'
            cand --rate 'Charges per second (0.1 to 50)'
            cand --seed 'Seed for reproducible traffic [default: random, printed in the summary]'
            cand --backend 'Where the demo keeps its state: a throwaway SQLite file, or a fresh table and queues on DynamoDB + SQS at --aws-endpoint (an emulator; see the README''s "Running a fleet")'
            cand --aws-endpoint 'The AWS endpoint for `--backend dynamodb`, e.g. http://127.0.0.1:5000 (region us-east-1 unless AWS_REGION is set; credentials from the AWS chain, else the emulator''s placeholder)'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --headless 'No dashboard: apply the --outage schedule, then print the summary (for scripts, tests)'
            cand --no-outage 'Headless: no outage at all (all gateways up the whole run)'
            cand --keep 'Keep the temporary data dir at the end and print its path'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;bench'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand charges 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it'
            cand webhooks 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;bench;charges'= {
            cand --url 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080'
            cand --concurrency 'Connections, each with one request in flight at a time'
            cand --duration 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]'
            cand --requests 'Send this many requests in all, then stop'
            cand --timeout 'Give up on one request after this long (it counts as a `timeout` error)'
            cand --api-key 'An API key of the tenant (`payorch apikey create`)'
            cand --method 'The payment method of every charge'
            cand --direct 'Also send the same load straight to this sandbox''s Stripe (`payorch sandbox`''s URL)'
            cand --receiver 'Count the events serve delivers to a receiver listening here (the tenant''s webhook endpoint must point at it), e.g. 127.0.0.1:9099'
            cand --drain 'With --receiver: stop waiting for deliveries after this long without one'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;bench;webhooks'= {
            cand --url 'Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080'
            cand --concurrency 'Connections, each with one request in flight at a time'
            cand --duration 'How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]'
            cand --requests 'Send this many requests in all, then stop'
            cand --timeout 'Give up on one request after this long (it counts as a `timeout` error)'
            cand --secret 'The Stripe webhook signing secret serve verifies with [default: the sandbox''s]'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;bench;help'= {
            cand charges 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it'
            cand webhooks 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;bench;help;charges'= {
        }
        &'payorch;bench;help;webhooks'= {
        }
        &'payorch;bench;help;help'= {
        }
        &'payorch;completions'= {
            cand --config 'Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]'
            cand --data-dir 'Data directory [default: $XDG_DATA_HOME/payorch]'
            cand --tenant 'Tenant to act on [default: the config''s `tenant`, else "default"]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --no-color 'No ANSI colours (also: the NO_COLOR environment variable)'
            cand -v 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More log output on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'payorch;help'= {
            cand init 'Write a commented default config file and create the data dir and database'
            cand config 'Inspect the effective configuration'
            cand tenant 'Create and list tenants (merchants)'
            cand aws 'The fleet backend''s DynamoDB table and SQS queues: create them, show their status'
            cand datakey 'The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import'
            cand apikey 'Create, list and revoke API keys'
            cand serve 'Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler'
            cand charge 'Create, show, list and refund charges (in-process, same core as `serve`)'
            cand reconcile 'Resolve unknown charges and cancel orphans once, by asking the gateways'
            cand audit 'Read the audit log of operator actions'
            cand report 'Reports: what charges cost (by gateway, method, tenant or day) and a month''s billing per tenant, as tables, JSON or CSV'
            cand gateway 'Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring'
            cand breaker 'Circuit breakers per gateway: status, and forcing them open, closed or back to automatic'
            cand dashboard 'Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay'
            cand webhook 'Outbound webhooks: the tenant''s endpoint and its signing secret'
            cand dlq 'The dead-letter queue of undeliverable webhooks: list, show, replay, purge'
            cand events 'The tenant''s outbound events: list, show, and resend one to the merchant'
            cand amount 'Convert an amount as people write it (10,50) to the API''s minor units (1050)'
            cand sandbox 'Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one'
            cand demo 'The tour: sandbox, core, merchant and traffic in one process; take a gateway down and watch failover'
            cand bench 'Load a running serve with charges or gateway webhooks: throughput, latency, statuses'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'payorch;help;init'= {
        }
        &'payorch;help;config'= {
            cand show 'Print the effective configuration (defaults, file, environment and flags merged; secrets masked)'
        }
        &'payorch;help;config;show'= {
        }
        &'payorch;help;tenant'= {
            cand create 'Create a tenant'
            cand list 'List tenants'
        }
        &'payorch;help;tenant;create'= {
        }
        &'payorch;help;tenant;list'= {
        }
        &'payorch;help;aws'= {
            cand init 'Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue, where missing; prints what it created or found. Safe to run again'
            cand status 'The table''s and indexes'' status, and both queues'' depths'
        }
        &'payorch;help;aws;init'= {
        }
        &'payorch;help;aws;status'= {
        }
        &'payorch;help;datakey'= {
            cand show 'Where the data key comes from, its id, and which key each endpoint''s secret is under'
            cand rotate 'Re-encrypt every stored secret under a new data key (in the keyring), or under PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)'
            cand generate 'Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing'
            cand import 'Make a backed-up data key (base64, read from stdin) the keyring''s current key again'
        }
        &'payorch;help;datakey;show'= {
        }
        &'payorch;help;datakey;rotate'= {
        }
        &'payorch;help;datakey;generate'= {
        }
        &'payorch;help;datakey;import'= {
        }
        &'payorch;help;apikey'= {
            cand create 'Create a key for the tenant (--tenant); its secret is shown only this once'
            cand list 'List the tenant''s keys (prefix only, never the secret)'
            cand update 'Change a key''s own request rate (`--rate-limit 200/s`, `off`, or `default`)'
            cand revoke 'Revoke a key: requests using it are refused from now on'
        }
        &'payorch;help;apikey;create'= {
        }
        &'payorch;help;apikey;list'= {
        }
        &'payorch;help;apikey;update'= {
        }
        &'payorch;help;apikey;revoke'= {
        }
        &'payorch;help;serve'= {
        }
        &'payorch;help;charge'= {
            cand create 'Create a charge (prints the charge, the attempts, and for Pix the code to pay)'
            cand get 'Show one charge'
            cand list 'List charges, newest first'
            cand refund 'Refund a charge, fully or in part, at the gateway that holds it'
        }
        &'payorch;help;charge;create'= {
        }
        &'payorch;help;charge;get'= {
        }
        &'payorch;help;charge;list'= {
        }
        &'payorch;help;charge;refund'= {
        }
        &'payorch;help;reconcile'= {
        }
        &'payorch;help;audit'= {
            cand list 'List audit entries, newest first'
        }
        &'payorch;help;audit;list'= {
        }
        &'payorch;help;report'= {
            cand costs 'What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant or day'
            cand billing 'A month''s statement per tenant: counts by status, volume, refunds, fees paid, net'
        }
        &'payorch;help;report;costs'= {
        }
        &'payorch;help;report;billing'= {
        }
        &'payorch;help;gateway'= {
            cand list 'Every gateway: its role in the tenant''s routing, whether it is available, what it takes'
            cand switch 'Make a gateway the tenant''s primary; the old primary becomes the first fallback'
            cand fallback 'Set the tenant''s fallbacks, tried in order after the primary'
            cand strategy 'How charges order the gateways that can take them: ordered (the table''s order) or cheapest (the [fees] estimate, cheapest first)'
            cand credentials 'Store, inspect and delete a gateway''s secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)'
        }
        &'payorch;help;gateway;list'= {
        }
        &'payorch;help;gateway;switch'= {
        }
        &'payorch;help;gateway;fallback'= {
        }
        &'payorch;help;gateway;strategy'= {
        }
        &'payorch;help;gateway;credentials'= {
            cand set 'Store secrets in the OS keyring: prompts without echo on a terminal, else reads `field=value` lines from stdin (with --field, a bare value)'
            cand show 'Show which secrets are set, where each comes from, and a masked hint (never the value)'
            cand delete 'Delete secrets from the OS keyring (every field, or only --field)'
        }
        &'payorch;help;gateway;credentials;set'= {
        }
        &'payorch;help;gateway;credentials;show'= {
        }
        &'payorch;help;gateway;credentials;delete'= {
        }
        &'payorch;help;breaker'= {
            cand status 'Every gateway''s breaker: state, forced or not, failure and slow-call rates (fleet-wide)'
            cand open 'Force a gateway''s breaker open: no charge goes to it (until --for ends, then half-open)'
            cand close 'Force a gateway''s breaker closed: every charge may go to it, failures never open it'
            cand auto 'Return a gateway''s breaker to automatic: closed, with a fresh window'
        }
        &'payorch;help;breaker;status'= {
        }
        &'payorch;help;breaker;open'= {
        }
        &'payorch;help;breaker;close'= {
        }
        &'payorch;help;breaker;auto'= {
        }
        &'payorch;help;dashboard'= {
        }
        &'payorch;help;webhook'= {
            cand endpoint 'The tenant''s endpoint: set its URL, show it, re-enable it after a 410'
            cand secret 'The signing secret: rotate it, keeping the old one valid for an overlap'
        }
        &'payorch;help;webhook;endpoint'= {
            cand set 'Deliver the tenant''s events to URL (a new endpoint''s signing secret is shown only once)'
            cand show 'The endpoint, its state and its signing secret (masked)'
            cand enable 'Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)'
            cand disable 'Stop deliveries for now: events are kept and wait until `enable`'
        }
        &'payorch;help;webhook;endpoint;set'= {
        }
        &'payorch;help;webhook;endpoint;show'= {
        }
        &'payorch;help;webhook;endpoint;enable'= {
        }
        &'payorch;help;webhook;endpoint;disable'= {
        }
        &'payorch;help;webhook;secret'= {
            cand rotate 'Replace the signing secret; deliveries carry both signatures during the overlap'
        }
        &'payorch;help;webhook;secret;rotate'= {
        }
        &'payorch;help;dlq'= {
            cand list 'The tenant''s dead letters, newest first'
            cand show 'One dead letter: its event, last error and every recorded attempt'
            cand replay 'Put dead letters back in the delivery queue, to be delivered now'
            cand purge 'Delete dead letters for good (asks first unless --yes)'
        }
        &'payorch;help;dlq;list'= {
        }
        &'payorch;help;dlq;show'= {
        }
        &'payorch;help;dlq;replay'= {
        }
        &'payorch;help;dlq;purge'= {
        }
        &'payorch;help;events'= {
            cand list 'The tenant''s events, newest first'
            cand show 'One event''s JSON, exactly as it is delivered'
            cand resend 'Deliver an event again: the same body and event id, queued now'
        }
        &'payorch;help;events;list'= {
        }
        &'payorch;help;events;show'= {
        }
        &'payorch;help;events;resend'= {
        }
        &'payorch;help;amount'= {
        }
        &'payorch;help;sandbox'= {
            cand mode 'Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one kind of request'
            cand pay 'Mark a pending charge paid; the fake sends its gateway''s webhook'
            cand charges 'List the charges the fakes hold'
            cand webhook 'Register the URL a gateway''s webhooks are sent to'
            cand webhooks 'Show the webhook delivery log'
            cand info 'Show the gateways: base URLs, test credentials, modes, webhook URLs'
        }
        &'payorch;help;sandbox;mode'= {
        }
        &'payorch;help;sandbox;pay'= {
        }
        &'payorch;help;sandbox;charges'= {
        }
        &'payorch;help;sandbox;webhook'= {
        }
        &'payorch;help;sandbox;webhooks'= {
        }
        &'payorch;help;sandbox;info'= {
        }
        &'payorch;help;demo'= {
        }
        &'payorch;help;bench'= {
            cand charges 'Unique charges through serve''s merchant API; with --direct, the same load straight at the sandbox''s Stripe too, and payorch''s ratio to it'
            cand webhooks 'Unique, validly signed Stripe webhooks into serve''s /webhooks/{tenant}/stripe'
        }
        &'payorch;help;bench;charges'= {
        }
        &'payorch;help;bench;webhooks'= {
        }
        &'payorch;help;completions'= {
        }
        &'payorch;help;help'= {
        }
    ]
    $completions[$command]
}
