#compdef kprov

autoload -U is-at-least

_kprov() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_kprov_commands" \
"*::: :->kprov" \
&& ret=0
    case $state in
    (kprov)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kprov-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
'--today=[Date (YYYY-MM-DD) for the \`project-expired\` lint; without it, expiry is not checked]:DATE:_default' \
'--format=[Output format of the diagnostics]:FORMAT:((text\:"Lines of \`file\:line\:col\: path\: message\`"
json\:"A JSON document\: the diagnostics and their counts"
github\:"GitHub Actions annotations on the files, then the counts"
sarif\:"A SARIF 2.1.0 log, for code scanning"))' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--no-validate[Do not validate rendered objects against the upstream schemas]' \
'--strict-kinds[Objects of kinds with no schema are errors, not warnings]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root (the directory holding kprov.yaml):_files' \
&& ret=0
;;
(render)
_arguments "${_arguments_options[@]}" : \
'--today=[Date (YYYY-MM-DD) for the \`project-expired\` lint; without it, expiry is not checked]:DATE:_default' \
'*--cluster=[Only render clusters matching this glob (repeatable); others are left as they are]:GLOB:_default' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--no-validate[Do not validate rendered objects against the upstream schemas]' \
'--strict-kinds[Objects of kinds with no schema are errors, not warnings]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'--today=[Date (YYYY-MM-DD) for the \`project-expired\` lint; without it, expiry is not checked]:DATE:_default' \
'--format=[Report format]:FORMAT:((text\:"Per-cluster object lists and unified diffs"
json\:"Machine-readable drift (the diagnostics when the estate has errors)"
markdown\:"A pull-request comment with a collapsible section per cluster"
github\:"GitHub Actions annotations\: one per drifted file and per diagnostic"
sarif\:"A SARIF 2.1.0 log\: one result per drifted file and per diagnostic"))' \
'*--cluster=[Only compare clusters matching this glob (repeatable)]:GLOB:_default' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--no-validate[Do not validate rendered objects against the upstream schemas]' \
'--strict-kinds[Objects of kinds with no schema are errors, not warnings]' \
'--stat[Counts and the changes grouped by field only\: no object lists, no file diffs (text and markdown)]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
'--today=[Date (YYYY-MM-DD) for the \`project-expired\` lint; without it, expiry is not checked]:DATE:_default' \
'--format=[Report format]:FORMAT:((text\:"Per-cluster object lists and unified diffs"
json\:"Machine-readable drift (the diagnostics when the estate has errors)"
markdown\:"A pull-request comment with a collapsible section per cluster"
github\:"GitHub Actions annotations\: one per drifted file and per diagnostic"
sarif\:"A SARIF 2.1.0 log\: one result per drifted file and per diagnostic"))' \
'*--cluster=[Only compare clusters matching this glob (repeatable)]:GLOB:_default' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--no-validate[Do not validate rendered objects against the upstream schemas]' \
'--strict-kinds[Objects of kinds with no schema are errors, not warnings]' \
'--stat[Counts and the changes grouped by field only\: no object lists, no file diffs (text and markdown)]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((text\:"Aligned tables"
markdown\:"Tables for a pull-request comment"
json\:"Machine-readable report"
csv\:"One CSV with a \`table\` column"))' \
'--base=[Compare the monthly cost with the estate in this directory (e.g. a checkout of the pull request'\''s base branch)]:DIR:_files' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(lints)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(tree)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((text\:"An indented tree"
json\:"Tenants with budgets, children and projects"
mermaid\:"A Mermaid flowchart, for pull-request comments and READMEs"))' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(init)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--force[Replace the scaffold'\''s files that are already there with the scaffold'\''s version (files only; never anything the scaffold does not have)]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Directory of the new estate (created if missing):_files' \
&& ret=0
;;
(codeowners)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((text\:"Lines of \`file\:line\:col\: path\: message\`"
json\:"JSON"))' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'()--codes[List every diagnostic code with what it means]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::target -- `<cluster>/<namespace>`, e.g. `cluster-us-east-1-prod/checkout-prod`, or a diagnostic code, e.g. `over-budget`:_default' \
'::dir -- Estate root:_files' \
&& ret=0
;;
(test)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'--update[Rewrite \`expected.yaml\` with what the composition renders now]' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::path -- Estate root, or a composition'\''s directory inside one:_files' \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_kprov__subcmd__import_commands" \
"*::: :->import" \
&& ret=0

    case $state in
    (import)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kprov-import-command-$line[1]:"
        case $line[1] in
            (libvirt)
_arguments "${_arguments_options[@]}" : \
'--estate=[Estate root]:ESTATE:_files' \
'--tenant=[Tenant of the project (for a new project)]:TENANT:_default' \
'--project=[Project the VMs go into\: \`projects/<PROJECT>.yaml\`, created if missing]:PROJECT:_default' \
'--environment=[Environment of the project the VMs run in]:ENVIRONMENT:_default' \
'--cluster=[Cluster of that environment]:CLUSTER:_default' \
'*--owner=[Owner of a new project, e.g. \`group\:erp-admins\` (repeatable; required for a new project)]:SUBJECT:_default' \
'(--tenant --project --environment --cluster --owner)--mapping=[YAML rules sending each domain, by a glob on its name, to a tenant, project, environment and clusters (first match wins); instead of the four flags above]:FILE:_files' \
'--image-url=[Base URL the disk images are served from\: an image file becomes \`<URL>/<file name>\`]:URL:_default' \
'--sizes=[CSV of disk sizes, \`domain,target,size\` (a quantity or bytes); \`virsh dumpxml\` has none]:FILE:_files' \
'--report=[Report format, on standard output]:REPORT:((text\:"One block per VM, then totals"
markdown\:"A table and a section per VM, for a pull request"
json\:"Machine-readable, camelCase keys"
csv\:"One row per VM or container, then the capacity tables (RFC 4180)"))' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::inputs -- `virsh dumpxml` output\: files, or directories whose `*.xml` are read in name order:_files' \
&& ret=0
;;
(openvz)
_arguments "${_arguments_options[@]}" : \
'--estate=[Estate root]:ESTATE:_files' \
'--tenant=[Tenant of the new project]:TENANT:_default' \
'--project=[The new project\: \`projects/<PROJECT>.yaml\`, which must not exist]:PROJECT:_default' \
'--environment=[Environment the containers'\'' workloads run in]:ENVIRONMENT:_default' \
'--cluster=[Cluster of that environment]:CLUSTER:_default' \
'*--owner=[Owner of the new project, e.g. \`group\:web-admins\` (repeatable; required)]:SUBJECT:_default' \
'--report=[Report format, on standard output]:REPORT:((text\:"One block per VM, then totals"
markdown\:"A table and a section per VM, for a pull request"
json\:"Machine-readable, camelCase keys"
csv\:"One row per VM or container, then the capacity tables (RFC 4180)"))' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::inputs -- Container configs (`/etc/vz/conf/<CTID>.conf`)\: files, or directories whose `*.conf` are read in name order:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_kprov__subcmd__import__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kprov-import-help-command-$line[1]:"
        case $line[1] in
            (libvirt)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(openvz)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(schema)
_arguments "${_arguments_options[@]}" : \
'--backstage=[Print the Backstage form of a Project instead\: the template'\''s \`parameters\`, a draft-07 subset with enums filled from the estate in DIR]::DIR:_files' \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::kind -- Estate, Cluster, Tenant, Project, Definition or Composition (any case):_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':shell -- The shell the script is for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--color=[Colour the \`error\` and \`warning\` words and the codes of diagnostics\: \`auto\` when standard error is a terminal and \`NO_COLOR\` is unset or empty]:WHEN:((auto\:"When standard error is a terminal, unless \`NO_COLOR\` is set"
always\:"Always, even into a pipe or a file"
never\:"Never"))' \
'-q[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'--quiet[No warnings, progress or summary lines on standard error; errors still print, and the exit status is the same]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_kprov__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kprov-help-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(render)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(report)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(lints)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(tree)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(init)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(codeowners)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(test)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
":: :_kprov__subcmd__help__subcmd__import_commands" \
"*::: :->import" \
&& ret=0

    case $state in
    (import)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kprov-help-import-command-$line[1]:"
        case $line[1] in
            (libvirt)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(openvz)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(schema)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_kprov_commands] )) ||
_kprov_commands() {
    local commands; commands=(
'validate:Load the estate and check schemas, references and placements' \
'render:Compile the estate and write the output tree (\`spec.output\`, default \`clusters/\`)' \
'diff:Compile in memory and compare with the committed output tree' \
'check:Compile in memory and compare with the committed output tree' \
'report:Quota allocated per cluster, tenant and cost center against capacity and budget, with the monthly cost from the Estate'\''s \`rates\`' \
'lints:List the built-in lints with their ids and what they check' \
'tree:Show the tenant hierarchy with budget, allocation and headroom per environment' \
'init:Scaffold a working estate repository\: kprov.yaml, a cluster per environment, two tenants, an example project, a Rego policy, the CI workflow, the Backstage template and CODEOWNERS; then render it' \
'codeowners:Print the \`.github/CODEOWNERS\` the estate generates\: each project file routed to its nearest tenant'\''s owners, platform files to the root tenants'\'' owners (needs \`spec.github\` in kprov.yaml; \`render\` writes it)' \
'explain:Show every effective value of one namespace and the file\:line that set it, or what a diagnostic code means and what to do about it' \
'test:Run the golden tests of compositions\: every \`tests/<case>/claim.yaml\` beside a Composition renders and is compared with \`expected.yaml\`' \
'import:Bring machines from elsewhere into a project of the estate' \
'schema:Print the JSON Schema (draft-07) of an input kind, or of all kinds' \
'completions:Print the shell completion script for SHELL (\`kprov completions bash\`)' \
'man:Print kprov'\''s man page (roff), e.g. \`kprov man | man -l -\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kprov commands' commands "$@"
}
(( $+functions[_kprov__subcmd__codeowners_commands] )) ||
_kprov__subcmd__codeowners_commands() {
    local commands; commands=()
    _describe -t commands 'kprov codeowners commands' commands "$@"
}
(( $+functions[_kprov__subcmd__completions_commands] )) ||
_kprov__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'kprov completions commands' commands "$@"
}
(( $+functions[_kprov__subcmd__diff_commands] )) ||
_kprov__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'kprov diff commands' commands "$@"
}
(( $+functions[_kprov__subcmd__explain_commands] )) ||
_kprov__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'kprov explain commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help_commands] )) ||
_kprov__subcmd__help_commands() {
    local commands; commands=(
'validate:Load the estate and check schemas, references and placements' \
'render:Compile the estate and write the output tree (\`spec.output\`, default \`clusters/\`)' \
'diff:Compile in memory and compare with the committed output tree' \
'report:Quota allocated per cluster, tenant and cost center against capacity and budget, with the monthly cost from the Estate'\''s \`rates\`' \
'lints:List the built-in lints with their ids and what they check' \
'tree:Show the tenant hierarchy with budget, allocation and headroom per environment' \
'init:Scaffold a working estate repository\: kprov.yaml, a cluster per environment, two tenants, an example project, a Rego policy, the CI workflow, the Backstage template and CODEOWNERS; then render it' \
'codeowners:Print the \`.github/CODEOWNERS\` the estate generates\: each project file routed to its nearest tenant'\''s owners, platform files to the root tenants'\'' owners (needs \`spec.github\` in kprov.yaml; \`render\` writes it)' \
'explain:Show every effective value of one namespace and the file\:line that set it, or what a diagnostic code means and what to do about it' \
'test:Run the golden tests of compositions\: every \`tests/<case>/claim.yaml\` beside a Composition renders and is compared with \`expected.yaml\`' \
'import:Bring machines from elsewhere into a project of the estate' \
'schema:Print the JSON Schema (draft-07) of an input kind, or of all kinds' \
'completions:Print the shell completion script for SHELL (\`kprov completions bash\`)' \
'man:Print kprov'\''s man page (roff), e.g. \`kprov man | man -l -\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kprov help commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__codeowners_commands] )) ||
_kprov__subcmd__help__subcmd__codeowners_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help codeowners commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__completions_commands] )) ||
_kprov__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help completions commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__diff_commands] )) ||
_kprov__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help diff commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__explain_commands] )) ||
_kprov__subcmd__help__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help explain commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__help_commands] )) ||
_kprov__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help help commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__import_commands] )) ||
_kprov__subcmd__help__subcmd__import_commands() {
    local commands; commands=(
'libvirt:Convert \`virsh dumpxml\` output into VirtualMachines of \`projects/<PROJECT>.yaml\` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves' \
'openvz:Size a project skeleton for OpenVZ containers (\`/etc/vz/conf/<CTID>.conf\`)\: a namespace with their CPUs, memory and disk as quota and a volume for each one'\''s data in a new \`projects/<PROJECT>.yaml\`. Containers are not converted into VMs\: the report marks each a containerization candidate and says what to build and move by hand' \
    )
    _describe -t commands 'kprov help import commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__import__subcmd__libvirt_commands] )) ||
_kprov__subcmd__help__subcmd__import__subcmd__libvirt_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help import libvirt commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__import__subcmd__openvz_commands] )) ||
_kprov__subcmd__help__subcmd__import__subcmd__openvz_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help import openvz commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__init_commands] )) ||
_kprov__subcmd__help__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help init commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__lints_commands] )) ||
_kprov__subcmd__help__subcmd__lints_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help lints commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__man_commands] )) ||
_kprov__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help man commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__render_commands] )) ||
_kprov__subcmd__help__subcmd__render_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help render commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__report_commands] )) ||
_kprov__subcmd__help__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help report commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__schema_commands] )) ||
_kprov__subcmd__help__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help schema commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__test_commands] )) ||
_kprov__subcmd__help__subcmd__test_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help test commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__tree_commands] )) ||
_kprov__subcmd__help__subcmd__tree_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help tree commands' commands "$@"
}
(( $+functions[_kprov__subcmd__help__subcmd__validate_commands] )) ||
_kprov__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'kprov help validate commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import_commands] )) ||
_kprov__subcmd__import_commands() {
    local commands; commands=(
'libvirt:Convert \`virsh dumpxml\` output into VirtualMachines of \`projects/<PROJECT>.yaml\` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves' \
'openvz:Size a project skeleton for OpenVZ containers (\`/etc/vz/conf/<CTID>.conf\`)\: a namespace with their CPUs, memory and disk as quota and a volume for each one'\''s data in a new \`projects/<PROJECT>.yaml\`. Containers are not converted into VMs\: the report marks each a containerization candidate and says what to build and move by hand' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kprov import commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__help_commands] )) ||
_kprov__subcmd__import__subcmd__help_commands() {
    local commands; commands=(
'libvirt:Convert \`virsh dumpxml\` output into VirtualMachines of \`projects/<PROJECT>.yaml\` (a new project, or appended to an existing one without changing the rest of the file), and report per domain how it moves' \
'openvz:Size a project skeleton for OpenVZ containers (\`/etc/vz/conf/<CTID>.conf\`)\: a namespace with their CPUs, memory and disk as quota and a volume for each one'\''s data in a new \`projects/<PROJECT>.yaml\`. Containers are not converted into VMs\: the report marks each a containerization candidate and says what to build and move by hand' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kprov import help commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__help__subcmd__help_commands] )) ||
_kprov__subcmd__import__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'kprov import help help commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__help__subcmd__libvirt_commands] )) ||
_kprov__subcmd__import__subcmd__help__subcmd__libvirt_commands() {
    local commands; commands=()
    _describe -t commands 'kprov import help libvirt commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__help__subcmd__openvz_commands] )) ||
_kprov__subcmd__import__subcmd__help__subcmd__openvz_commands() {
    local commands; commands=()
    _describe -t commands 'kprov import help openvz commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__libvirt_commands] )) ||
_kprov__subcmd__import__subcmd__libvirt_commands() {
    local commands; commands=()
    _describe -t commands 'kprov import libvirt commands' commands "$@"
}
(( $+functions[_kprov__subcmd__import__subcmd__openvz_commands] )) ||
_kprov__subcmd__import__subcmd__openvz_commands() {
    local commands; commands=()
    _describe -t commands 'kprov import openvz commands' commands "$@"
}
(( $+functions[_kprov__subcmd__init_commands] )) ||
_kprov__subcmd__init_commands() {
    local commands; commands=()
    _describe -t commands 'kprov init commands' commands "$@"
}
(( $+functions[_kprov__subcmd__lints_commands] )) ||
_kprov__subcmd__lints_commands() {
    local commands; commands=()
    _describe -t commands 'kprov lints commands' commands "$@"
}
(( $+functions[_kprov__subcmd__man_commands] )) ||
_kprov__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kprov man commands' commands "$@"
}
(( $+functions[_kprov__subcmd__render_commands] )) ||
_kprov__subcmd__render_commands() {
    local commands; commands=()
    _describe -t commands 'kprov render commands' commands "$@"
}
(( $+functions[_kprov__subcmd__report_commands] )) ||
_kprov__subcmd__report_commands() {
    local commands; commands=()
    _describe -t commands 'kprov report commands' commands "$@"
}
(( $+functions[_kprov__subcmd__schema_commands] )) ||
_kprov__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'kprov schema commands' commands "$@"
}
(( $+functions[_kprov__subcmd__test_commands] )) ||
_kprov__subcmd__test_commands() {
    local commands; commands=()
    _describe -t commands 'kprov test commands' commands "$@"
}
(( $+functions[_kprov__subcmd__tree_commands] )) ||
_kprov__subcmd__tree_commands() {
    local commands; commands=()
    _describe -t commands 'kprov tree commands' commands "$@"
}
(( $+functions[_kprov__subcmd__validate_commands] )) ||
_kprov__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'kprov validate commands' commands "$@"
}

if [ "$funcstack[1]" = "_kprov" ]; then
    _kprov "$@"
else
    compdef _kprov kprov
fi
