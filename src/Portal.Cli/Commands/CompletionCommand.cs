using System.CommandLine;

namespace Portal.Cli.Commands;

/// <summary>
/// <c>portal completion bash|zsh|fish</c>: prints a completion script. Each script asks portal itself what may come
/// next, through System.CommandLine's <c>[suggest:POSITION] "LINE"</c> directive, so the completions always match the
/// installed version's commands and options.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # portal completion for bash: add to ~/.bashrc:  source <(portal completion bash)
        _portal_complete() {
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(portal "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _portal_complete portal
        """;

    private const string Zsh = """
        #compdef portal
        # portal completion for zsh: add to ~/.zshrc:  source <(portal completion zsh)
        _portal_complete() {
            local -a suggestions
            suggestions=("${(@f)$(portal "[suggest:${#${LBUFFER}}]" "${BUFFER}" 2>/dev/null)}")
            compadd -a suggestions
        }
        compdef _portal_complete portal
        """;

    private const string Fish = """
        # portal completion for fish: portal completion fish > ~/.config/fish/completions/portal.fish
        function __portal_complete
            set -l line (commandline -cp)
            portal "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c portal -f -a '(__portal_complete)'
        """;

    public static Command Create(CliContext cli)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script, e.g. source <(portal completion bash).") { shell };
        command.SetAction(parse =>
        {
            cli.Stdout.WriteLine(parse.GetRequiredValue(shell) switch
            {
                "zsh" => Zsh,
                "fish" => Fish,
                _ => Bash,
            });
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
