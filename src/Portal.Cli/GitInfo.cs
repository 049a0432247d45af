using System.Diagnostics;

namespace Portal.Cli;

/// <summary>The commit and origin of the git repository a run starts in, so a run can be traced to its code.</summary>
internal sealed record GitInfo(string Commit, string? Remote)
{
    public static GitInfo? Read(string folder)
    {
        var commit = Git(folder, "rev-parse", "HEAD");
        return commit is null ? null : new GitInfo(commit, Git(folder, "remote", "get-url", "origin"));
    }

    private static string? Git(string folder, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start);
            if (process is null)
                return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.StandardError.ReadToEnd();
            // Not a repository, no origin, or git hanging on a broken repository: the run is logged without it.
            if (!process.WaitForExit(5000))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed
        }
    }
}
