using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Core.Data;
using Portal.Core.Features.Access;
using Portal.Core.Features.Events;
using Portal.Core.Features.Home;

namespace Portal.Benchmarks;

/// <summary>
/// The home dashboard (<c>/</c>) of a person in 50 projects that together record 10,000 events a day, none of them
/// seen yet: the use case's time and SQL commands, and the first paint in headless Chromium against the real app on
/// Kestrel, from the navigation to the moment the "since you last looked" projects are visible (goal under 500 ms), with
/// the server's share (the prerendered HTML document alone) and the browser's own first contentful paint beside it.
/// </summary>
public static class HomePageScenario
{
    private const string Scenario = "pages";
    private const string ChromiumPath = "/usr/bin/chromium";
    private const int Projects = 50;
    private const int EventsPerDay = 10_000;
    private const int Repeats = 5;

    public static async Task RunAsync(BenchContext context)
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"The page scenarios need Chromium at {ChromiumPath} (apt-get install chromium).");
        var person = context.Team.Viewer;
        var projectIds = new List<Guid> { context.Team.Project.Id };
        for (var i = 1; i < Projects; i++)
        {
            var project = await context.App.Data.CreateProjectAsync(context.Team.Admin, $"home-{i:D2}-{Guid.NewGuid().ToString("N")[..6]}");
            await context.App.Data.AddMemberAsync(context.Team.Admin, project.Slug, person, ProjectRole.Reviewer);
            projectIds.Add(project.Id);
        }

        await SeedEventsAsync(context.Services, projectIds);

        // The use case alone: time and SQL commands (a fixed number, whatever the counts).
        var useCase = new List<double>();
        var commands = new HashSet<int>();
        for (var round = 0; round <= Repeats; round++)
        {
            await using var scope = context.Services.CreateAsyncScope();
            var home = scope.ServiceProvider.GetRequiredService<HomeDashboard>();
            var watch = Stopwatch.StartNew();
            var (count, answer) = await SqlCommands.CountAsync(() => home.GetAsync(person.Principal));
            var ms = watch.Elapsed.TotalMilliseconds;
            if (answer.SinceLastLooked.Count != Projects)
                throw new InvalidOperationException($"The dashboard shows news of {answer.SinceLastLooked.Count} projects; expected {Projects}.");
            commands.Add(count);
            if (round > 0)
                useCase.Add(ms);
        }

        if (commands.Count != 1)
            throw new InvalidOperationException($"The dashboard sent a varying number of SQL commands: {string.Join(", ", commands)}.");
        BenchContext.Report(Scenario, "home_sql_commands", commands.Single(), "commands");
        Report("home_use_case", useCase);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage", "--no-first-run"],
        });
        await using var browserContext = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = context.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
        });
        browserContext.SetDefaultTimeout(60_000);
        var page = await browserContext.NewPageAsync();
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", person.Email);
        await page.FillAsync("#password", person.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));

        // The server's share: the whole HTML document of the prerendered page, fetched with the person's cookie.
        var html = new List<double>();
        var cookies = await browserContext.CookiesAsync();
        using (var http = new HttpClient { BaseAddress = new Uri(context.BaseUrl) })
        {
            http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => c.Name + "=" + c.Value)));
            for (var round = 0; round <= Repeats; round++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync("/");
                var body = await response.Content.ReadAsStringAsync();
                var ms = watch.Elapsed.TotalMilliseconds;
                if (!response.IsSuccessStatusCode || !body.Contains("data-testid=\"news-project\"", StringComparison.Ordinal))
                    throw new InvalidOperationException($"The home page answered {(int)response.StatusCode} without the news of the projects.");
                if (round > 0)
                    html.Add(ms);
            }
        }

        Report("home_html", html);

        var firstPaint = new List<double>();
        var contentfulPaint = new List<double>();
        // The first round warms the server's compiled queries and the browser's cache of the app's scripts.
        for (var round = 0; round <= Repeats; round++)
        {
            var watch = Stopwatch.StartNew();
            await page.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.Locator("[data-testid=news-project]").First.WaitForAsync();
            var ms = watch.Elapsed.TotalMilliseconds;
            if (round == 0)
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "bench-home.png") });
                continue;
            }

            firstPaint.Add(ms);
            // The browser's own first contentful paint of the document, from its navigation start.
            contentfulPaint.Add(await page.EvaluateAsync<double>(
                "() => new Promise(resolve => { const find = () => { const e = performance.getEntriesByName('first-contentful-paint')[0]; if (e) resolve(e.startTime); else requestAnimationFrame(find); }; find(); })"));
        }

        Report("home_first_paint", firstPaint);
        Report("home_first_contentful_paint", contentfulPaint);
        BenchContext.Report(Scenario, "home_load_average", BenchContext.LoadAverage(), "load");
    }

    /// <summary>A day of events over the projects: commits, alias moves, promotion decisions, validations and compare reports.</summary>
    private static async Task SeedEventsAsync(IServiceProvider services, IReadOnlyList<Guid> projectIds)
    {
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        var events = new List<PortalEvent>(EventsPerDay);
        for (var i = 0; i < EventsPerDay; i++)
        {
            var artifact = $"set-{i % 40:D2}";
            // Events go round the projects; the kind turns once per round, so every project sees every kind (a kind
            // keyed on i alone would give each project a single kind whenever the project count divides by ten).
            var (type, payload) = (i / projectIds.Count % 10) switch
            {
                < 6 => (PortalEventTypes.VersionCommitted, (object)new { artifact, version = new { version = $"v{i}" }, actor = "Ada" }),
                6 => (PortalEventTypes.AliasMoved, new { artifact, alias = i % 20 == 6 ? "production" : "staging", to = new { version = $"v{i}" }, actor = "Ada" }),
                7 => (PortalEventTypes.PromotionApplied, new { artifact, alias = "production", requestId = Guid.NewGuid() }),
                8 => (PortalEventTypes.ValidationFinished, new { artifact, state = "passed", errors = 0, versionId = Guid.NewGuid() }),
                _ => (PortalEventTypes.CompareReportFinished, new { summary = "3 files changed", fromVersionId = Guid.NewGuid(), toVersionId = Guid.NewGuid() }),
            };
            events.Add(new PortalEvent
            {
                ProjectId = projectIds[i % projectIds.Count],
                Type = type,
                PayloadJson = JsonSerializer.Serialize(payload),
                OccurredAt = start.AddSeconds(i * 86_400.0 / EventsPerDay),
                DispatchedAt = DateTimeOffset.UtcNow,
            });
        }

        var factory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        foreach (var batch in events.Chunk(2_000))
        {
            await using var db = await factory.CreateDbContextAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            db.PortalEvents.AddRange(batch);
            await db.SaveChangesAsync();
        }
    }

    /// <summary>Median and worst of the measured rounds.</summary>
    private static void Report(string figure, List<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        BenchContext.Report(Scenario, figure + "_median", sorted[sorted.Count / 2], "ms");
        BenchContext.Report(Scenario, figure + "_max", sorted[^1], "ms");
    }

    /// <summary>Counts the SQL commands EF Core executes inside one asynchronous flow, through its diagnostic events.</summary>
    private static class SqlCommands
    {
        private static readonly AsyncLocal<Counter?> Current = new();
        private static readonly IDisposable Subscription = DiagnosticListener.AllListeners.Subscribe(new Listeners());

        public static async Task<(int Count, T Result)> CountAsync<T>(Func<Task<T>> action)
        {
            GC.KeepAlive(Subscription);
            var counter = new Counter();
            Current.Value = counter;
            try
            {
                var result = await action();
                return (counter.Count, result);
            }
            finally
            {
                Current.Value = null;
            }
        }

        private sealed class Counter
        {
            public int Count;
        }

        private sealed class Listeners : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
        {
            public void OnNext(DiagnosticListener value)
            {
                if (value.Name == DbLoggerCategory.Name)
                    value.Subscribe(this);
            }

            public void OnNext(KeyValuePair<string, object?> value)
            {
                if (value.Key == RelationalEventId.CommandExecuting.Name && Current.Value is { } counter)
                    Interlocked.Increment(ref counter.Count);
            }

            public void OnCompleted()
            {
            }

            public void OnError(Exception error)
            {
            }
        }
    }
}
