namespace Portal.E2E.Tests;

/// <summary>
/// The portal on a real Kestrel server on 127.0.0.1 with a SQLite database, and headless Debian Chromium driven by
/// Playwright. Screenshots go to <c>screenshots/</c> under the test output folder.
/// </summary>
public class BrowserApp : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly KestrelPortalApp _app;
    private IPlaywright? _playwright;

    public BrowserApp()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <summary>For fixtures that need extra settings (an identity provider, a short revalidation interval …).</summary>
    protected BrowserApp(IDictionary<string, string?> settings)
    {
        _app = new KestrelPortalApp(settings);
    }

    public IBrowser Browser { get; private set; } = null!;

    public PortalApp App => _app;

    public string BaseUrl { get; private set; } = "";

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static string? UnavailableReason => File.Exists(ChromiumPath) ? null : $"End-to-end tests need Chromium at {ChromiumPath} (apt-get install chromium).";

    public virtual async Task InitializeAsync()
    {
        if (UnavailableReason is not null)
            return;
        await _app.InitializeAsync();
        BaseUrl = _app.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage", "--no-first-run"],
        });
    }

    /// <summary>
    /// A page in a fresh context. <paramref name="colorScheme"/> is what the browser reports to the portal (which
    /// follows it on first render); <paramref name="bypassPolicy"/> lets a test inject a script of its own (axe-core).
    /// </summary>
    public async Task<IPage> NewPageAsync(ColorScheme colorScheme = ColorScheme.Light, bool bypassPolicy = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = colorScheme,
            BypassCSP = bypassPolicy,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        // The portal's Content Security Policy must never block its own scripts, styles, workers or images.
        var violations = PolicyViolations.GetOrAdd(page, _ => new System.Collections.Concurrent.ConcurrentQueue<string>());
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                violations.Enqueue(message.Text);
        };
        return page;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> PolicyViolations = new();

    /// <summary>Fails when the page reported a Content Security Policy violation so far.</summary>
    public static void AssertNoPolicyViolations(IPage page)
    {
        if (PolicyViolations.TryGetValue(page, out var violations) && !violations.IsEmpty)
            throw new Xunit.Sdk.XunitException("Content Security Policy violations:\n" + string.Join("\n", violations));
    }

    public async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await WaitForInteractiveAsync(page);
    }

    /// <summary>Pages are prerendered; clicks only work once the Blazor circuit has attached.</summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator("[data-interactive=true]").WaitForAsync();

    public static async Task GotoInteractiveAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await WaitForInteractiveAsync(page);
    }

    /// <summary>A MudBlazor text field by test id (the attribute lands on the input itself or on its wrapper).</summary>
    public static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
        AssertNoPolicyViolations(page);
    }

    public virtual async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }

        await ((IAsyncLifetime)_app).DisposeAsync();
    }

    private sealed class KestrelPortalApp(IDictionary<string, string?> settings) : PortalApp(Portal.Core.Data.DatabaseProvider.Sqlite)
    {
        protected override bool RunsOnKestrel => true;

        protected override IDictionary<string, string?> Settings => settings;
    }
}
