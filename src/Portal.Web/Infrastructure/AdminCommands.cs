using Portal.Core;
using Portal.Core.Features.Access;

namespace Portal.Web.Infrastructure;

/// <summary>
/// Commands of the server executable for whoever runs the server (they read its configuration, so they reach its
/// database): <c>Portal.Web reset-password admin@example.com</c> prints a new password for the account.
/// </summary>
public static class AdminCommands
{
    private const string ResetPassword = "reset-password";

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == ResetPassword;

    /// <summary>Runs the command in <paramref name="args"/>; the process exit code.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter errors)
    {
        if (args.Length != 2 || string.IsNullOrWhiteSpace(args[1]))
        {
            await errors.WriteLineAsync($"usage: Portal.Web {ResetPassword} <e-mail address>");
            return 2;
        }
        await using var scope = services.CreateAsyncScope();
        try
        {
            var password = await scope.ServiceProvider.GetRequiredService<Users>().ResetPasswordAsync(args[1]);
            await output.WriteLineAsync($"New password for {args[1].Trim()}: {password}  (shown once; the account's sign-in sessions have ended)");
            return 0;
        }
        catch (PortalException ex)
        {
            await errors.WriteLineAsync(ex.Message);
            return 1;
        }
    }
}
