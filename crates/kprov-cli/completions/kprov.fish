# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kprov_global_optspecs
    string join \n q/quiet color= h/help V/version
end

function __fish_kprov_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kprov_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kprov_using_subcommand
    set -l cmd (__fish_kprov_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kprov -n "__fish_kprov_needs_command" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_needs_command" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_needs_command" -s V -l version -d 'Print version'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "validate" -d 'Load the estate and check schemas, references and placements'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "render" -d 'Compile the estate and write the output tree (`spec.output`, default `clusters/`)'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "diff" -d 'Compile in memory and compare with the committed output tree'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "check" -d 'Compile in memory and compare with the committed output tree'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "report" -d 'Quota allocated per cluster, tenant and cost center against capacity and budget, with the monthly cost from the Estate\'s `rates`'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "lints" -d 'List the built-in lints with their ids and what they check'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "tree" -d 'Show the tenant hierarchy with budget, allocation and headroom per environment'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "init" -d 'Scaffold a working estate repository: kprov.yaml, a cluster per environment, two tenants, an example project, a Rego policy, the CI workflow, the Backstage template and CODEOWNERS; then render it'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "codeowners" -d 'Print the `.github/CODEOWNERS` the estate generates: each project file routed to its nearest tenant\'s owners, platform files to the root tenants\' owners (needs `spec.github` in kprov.yaml; `render` writes it)'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "explain" -d 'Show every effective value of one namespace and the file:line that set it, or what a diagnostic code means and what to do about it'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "test" -d 'Run the golden tests of compositions: every `tests/<case>/claim.yaml` beside a Composition renders and is compared with `expected.yaml`'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "import" -d 'Bring machines from elsewhere into a project of the estate'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "schema" -d 'Print the JSON Schema (draft-07) of an input kind, or of all kinds'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "completions" -d 'Print the shell completion script for SHELL (`kprov completions bash`)'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "man" -d 'Print kprov\'s man page (roff), e.g. `kprov man | man -l -`'
complete -c kprov -n "__fish_kprov_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kprov -n "__fish_kprov_using_subcommand validate" -l today -d 'Date (YYYY-MM-DD) for the `project-expired` lint; without it, expiry is not checked' -r
complete -c kprov -n "__fish_kprov_using_subcommand validate" -l format -d 'Output format of the diagnostics' -r -f -a "text\t'Lines of `file:line:col: path: message`'
json\t'A JSON document: the diagnostics and their counts'
github\t'GitHub Actions annotations on the files, then the counts'
sarif\t'A SARIF 2.1.0 log, for code scanning'"
complete -c kprov -n "__fish_kprov_using_subcommand validate" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand validate" -l no-validate -d 'Do not validate rendered objects against the upstream schemas'
complete -c kprov -n "__fish_kprov_using_subcommand validate" -l strict-kinds -d 'Objects of kinds with no schema are errors, not warnings'
complete -c kprov -n "__fish_kprov_using_subcommand validate" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand render" -l today -d 'Date (YYYY-MM-DD) for the `project-expired` lint; without it, expiry is not checked' -r
complete -c kprov -n "__fish_kprov_using_subcommand render" -l cluster -d 'Only render clusters matching this glob (repeatable); others are left as they are' -r
complete -c kprov -n "__fish_kprov_using_subcommand render" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand render" -l no-validate -d 'Do not validate rendered objects against the upstream schemas'
complete -c kprov -n "__fish_kprov_using_subcommand render" -l strict-kinds -d 'Objects of kinds with no schema are errors, not warnings'
complete -c kprov -n "__fish_kprov_using_subcommand render" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l today -d 'Date (YYYY-MM-DD) for the `project-expired` lint; without it, expiry is not checked' -r
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l format -d 'Report format' -r -f -a "text\t'Per-cluster object lists and unified diffs'
json\t'Machine-readable drift (the diagnostics when the estate has errors)'
markdown\t'A pull-request comment with a collapsible section per cluster'
github\t'GitHub Actions annotations: one per drifted file and per diagnostic'
sarif\t'A SARIF 2.1.0 log: one result per drifted file and per diagnostic'"
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l cluster -d 'Only compare clusters matching this glob (repeatable)' -r
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l no-validate -d 'Do not validate rendered objects against the upstream schemas'
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l strict-kinds -d 'Objects of kinds with no schema are errors, not warnings'
complete -c kprov -n "__fish_kprov_using_subcommand diff" -l stat -d 'Counts and the changes grouped by field only: no object lists, no file diffs (text and markdown)'
complete -c kprov -n "__fish_kprov_using_subcommand diff" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand check" -l today -d 'Date (YYYY-MM-DD) for the `project-expired` lint; without it, expiry is not checked' -r
complete -c kprov -n "__fish_kprov_using_subcommand check" -l format -d 'Report format' -r -f -a "text\t'Per-cluster object lists and unified diffs'
json\t'Machine-readable drift (the diagnostics when the estate has errors)'
markdown\t'A pull-request comment with a collapsible section per cluster'
github\t'GitHub Actions annotations: one per drifted file and per diagnostic'
sarif\t'A SARIF 2.1.0 log: one result per drifted file and per diagnostic'"
complete -c kprov -n "__fish_kprov_using_subcommand check" -l cluster -d 'Only compare clusters matching this glob (repeatable)' -r
complete -c kprov -n "__fish_kprov_using_subcommand check" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand check" -l no-validate -d 'Do not validate rendered objects against the upstream schemas'
complete -c kprov -n "__fish_kprov_using_subcommand check" -l strict-kinds -d 'Objects of kinds with no schema are errors, not warnings'
complete -c kprov -n "__fish_kprov_using_subcommand check" -l stat -d 'Counts and the changes grouped by field only: no object lists, no file diffs (text and markdown)'
complete -c kprov -n "__fish_kprov_using_subcommand check" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand report" -l format -d 'Output format' -r -f -a "text\t'Aligned tables'
markdown\t'Tables for a pull-request comment'
json\t'Machine-readable report'
csv\t'One CSV with a `table` column'"
complete -c kprov -n "__fish_kprov_using_subcommand report" -l base -d 'Compare the monthly cost with the estate in this directory (e.g. a checkout of the pull request\'s base branch)' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand report" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand report" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand lints" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand lints" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand lints" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand tree" -l format -d 'Output format' -r -f -a "text\t'An indented tree'
json\t'Tenants with budgets, children and projects'
mermaid\t'A Mermaid flowchart, for pull-request comments and READMEs'"
complete -c kprov -n "__fish_kprov_using_subcommand tree" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand tree" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand tree" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand init" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand init" -l force -d 'Replace the scaffold\'s files that are already there with the scaffold\'s version (files only; never anything the scaffold does not have)'
complete -c kprov -n "__fish_kprov_using_subcommand init" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand codeowners" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand codeowners" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand codeowners" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand explain" -l format -d 'Output format' -r -f -a "text\t'Lines of `file:line:col: path: message`'
json\t'JSON'"
complete -c kprov -n "__fish_kprov_using_subcommand explain" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand explain" -l codes -d 'List every diagnostic code with what it means'
complete -c kprov -n "__fish_kprov_using_subcommand explain" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand test" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand test" -l update -d 'Rewrite `expected.yaml` with what the composition renders now'
complete -c kprov -n "__fish_kprov_using_subcommand test" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -f -a "libvirt" -d 'Convert `virsh dumpxml` output into VirtualMachines of `projects/<PROJECT>.yaml` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves'
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -f -a "openvz" -d 'Size a project skeleton for OpenVZ containers (`/etc/vz/conf/<CTID>.conf`): a namespace with their CPUs, memory and disk as quota and a volume for each one\'s data in a new `projects/<PROJECT>.yaml`. Containers are not converted into VMs: the report marks each a containerization candidate and says what to build and move by hand'
complete -c kprov -n "__fish_kprov_using_subcommand import; and not __fish_seen_subcommand_from libvirt openvz help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l estate -d 'Estate root' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l tenant -d 'Tenant of the project (for a new project)' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l project -d 'Project the VMs go into: `projects/<PROJECT>.yaml`, created if missing' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l environment -d 'Environment of the project the VMs run in' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l cluster -d 'Cluster of that environment' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l owner -d 'Owner of a new project, e.g. `group:erp-admins` (repeatable; required for a new project)' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l mapping -d 'YAML rules sending each domain, by a glob on its name, to a tenant, project, environment and clusters (first match wins); instead of the four flags above' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l image-url -d 'Base URL the disk images are served from: an image file becomes `<URL>/<file name>`' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l sizes -d 'CSV of disk sizes, `domain,target,size` (a quantity or bytes); `virsh dumpxml` has none' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l report -d 'Report format, on standard output' -r -f -a "text\t'One block per VM, then totals'
markdown\t'A table and a section per VM, for a pull request'
json\t'Machine-readable, camelCase keys'
csv\t'One row per VM or container, then the capacity tables (RFC 4180)'"
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from libvirt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l estate -d 'Estate root' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l tenant -d 'Tenant of the new project' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l project -d 'The new project: `projects/<PROJECT>.yaml`, which must not exist' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l environment -d 'Environment the containers\' workloads run in' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l cluster -d 'Cluster of that environment' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l owner -d 'Owner of the new project, e.g. `group:web-admins` (repeatable; required)' -r
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l report -d 'Report format, on standard output' -r -f -a "text\t'One block per VM, then totals'
markdown\t'A table and a section per VM, for a pull request'
json\t'Machine-readable, camelCase keys'
csv\t'One row per VM or container, then the capacity tables (RFC 4180)'"
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from openvz" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "libvirt" -d 'Convert `virsh dumpxml` output into VirtualMachines of `projects/<PROJECT>.yaml` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "openvz" -d 'Size a project skeleton for OpenVZ containers (`/etc/vz/conf/<CTID>.conf`): a namespace with their CPUs, memory and disk as quota and a volume for each one\'s data in a new `projects/<PROJECT>.yaml`. Containers are not converted into VMs: the report marks each a containerization candidate and says what to build and move by hand'
complete -c kprov -n "__fish_kprov_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kprov -n "__fish_kprov_using_subcommand schema" -l backstage -d 'Print the Backstage form of a Project instead: the template\'s `parameters`, a draft-07 subset with enums filled from the estate in DIR' -r -F
complete -c kprov -n "__fish_kprov_using_subcommand schema" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand schema" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand completions" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand completions" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand man" -l color -d 'Colour the `error` and `warning` words and the codes of diagnostics: `auto` when standard error is a terminal and `NO_COLOR` is unset or empty' -r -f -a "auto\t'When standard error is a terminal, unless `NO_COLOR` is set'
always\t'Always, even into a pipe or a file'
never\t'Never'"
complete -c kprov -n "__fish_kprov_using_subcommand man" -s q -l quiet -d 'No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same'
complete -c kprov -n "__fish_kprov_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "validate" -d 'Load the estate and check schemas, references and placements'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "render" -d 'Compile the estate and write the output tree (`spec.output`, default `clusters/`)'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "diff" -d 'Compile in memory and compare with the committed output tree'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "report" -d 'Quota allocated per cluster, tenant and cost center against capacity and budget, with the monthly cost from the Estate\'s `rates`'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "lints" -d 'List the built-in lints with their ids and what they check'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "tree" -d 'Show the tenant hierarchy with budget, allocation and headroom per environment'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "init" -d 'Scaffold a working estate repository: kprov.yaml, a cluster per environment, two tenants, an example project, a Rego policy, the CI workflow, the Backstage template and CODEOWNERS; then render it'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "codeowners" -d 'Print the `.github/CODEOWNERS` the estate generates: each project file routed to its nearest tenant\'s owners, platform files to the root tenants\' owners (needs `spec.github` in kprov.yaml; `render` writes it)'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "explain" -d 'Show every effective value of one namespace and the file:line that set it, or what a diagnostic code means and what to do about it'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "test" -d 'Run the golden tests of compositions: every `tests/<case>/claim.yaml` beside a Composition renders and is compared with `expected.yaml`'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "import" -d 'Bring machines from elsewhere into a project of the estate'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "schema" -d 'Print the JSON Schema (draft-07) of an input kind, or of all kinds'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "completions" -d 'Print the shell completion script for SHELL (`kprov completions bash`)'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "man" -d 'Print kprov\'s man page (roff), e.g. `kprov man | man -l -`'
complete -c kprov -n "__fish_kprov_using_subcommand help; and not __fish_seen_subcommand_from validate render diff report lints tree init codeowners explain test import schema completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kprov -n "__fish_kprov_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "libvirt" -d 'Convert `virsh dumpxml` output into VirtualMachines of `projects/<PROJECT>.yaml` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves'
complete -c kprov -n "__fish_kprov_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "openvz" -d 'Size a project skeleton for OpenVZ containers (`/etc/vz/conf/<CTID>.conf`): a namespace with their CPUs, memory and disk as quota and a volume for each one\'s data in a new `projects/<PROJECT>.yaml`. Containers are not converted into VMs: the report marks each a containerization candidate and says what to build and move by hand'
