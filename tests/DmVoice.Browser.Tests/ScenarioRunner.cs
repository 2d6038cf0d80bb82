using System.Diagnostics;
using DmVoice.TestSupport;

namespace DmVoice.Browser.Tests;

/// <summary>
/// Runs a scenario of tests/tools/browser with node: Playwright driving the system's Chromium
/// against the gateway. Skips locally (fails in CI) when a piece is missing.
/// </summary>
internal static class ScenarioRunner
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(3);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ToolsDir => Path.Combine(RepoRoot, "tests", "tools", "browser");

    public static string WebClientDir => Path.Combine(RepoRoot, "clients", "web");

    public static string WebClientDist => Path.Combine(WebClientDir, "dist");

    /// <summary>Where screenshots go; CI keeps the folder as an artifact.</summary>
    public static string ScreenshotDir => Path.Combine(RepoRoot, "artifacts", "browser");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>node, Chromium, Playwright and a current build of the client; skips or fails with what is missing.</summary>
    public static string RequireTools()
    {
        var node = TestEnvironment.RequireProgram("node");
        TestEnvironment.Require(
            File.Exists(ChromiumPath),
            $"Chromium was not found at {ChromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)");
        TestEnvironment.Require(
            File.Exists(Path.Combine(ToolsDir, "node_modules", "playwright-core", "package.json")),
            "playwright-core is not installed in tests/tools/browser (run: npm ci --prefix tests/tools/browser)");
        TestEnvironment.Require(
            File.Exists(Path.Combine(WebClientDist, "index.html")),
            "the web client is not built (run: npm ci --prefix clients/web && npm run build --prefix clients/web)");
        TestEnvironment.Require(
            !BuildIsStale(),
            "the web client's build is older than its sources (run: npm run build --prefix clients/web)");
        return node;
    }

    public static async Task RunAsync(string node, string scenario, Uri gateway)
    {
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = ToolsDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "run.mjs", scenario, "--base-url", gateway.ToString().TrimEnd('/'), "--out", ScreenshotDir })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CHROMIUM_PATH"] = ChromiumPath;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(ScenarioTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"scenario {scenario} did not finish within {ScenarioTimeout}:\n{await stdout}\n{await stderr}");
        }

        var output = $"{(await stdout).TrimEnd()}\n{(await stderr).TrimEnd()}".Trim();
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        Assert.True(process.ExitCode == 0, $"scenario {scenario} failed (exit code {process.ExitCode}):\n{output}");
    }

    private static bool BuildIsStale()
    {
        var built = File.GetLastWriteTimeUtc(Path.Combine(WebClientDist, "index.html"));
        string[] inputs = ["index.html", "package.json", "vite.config.ts", "tsconfig.json"];
        return inputs.Select(f => Path.Combine(WebClientDir, f))
            .Concat(Directory.EnumerateFiles(Path.Combine(WebClientDir, "src"), "*", SearchOption.AllDirectories))
            .Any(f => File.Exists(f) && File.GetLastWriteTimeUtc(f) > built);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DmVoice.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DmVoice.sln not found above {AppContext.BaseDirectory}");
    }
}
