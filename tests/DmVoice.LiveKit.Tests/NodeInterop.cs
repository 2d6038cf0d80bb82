using System.Diagnostics;
using System.Text.Json;
using DmVoice.TestSupport;

namespace DmVoice.LiveKit.Tests;

/// <summary>Runs tests/tools/livekit-interop/interop.mjs, i.e. LiveKit's own node SDK.</summary>
internal static class NodeInterop
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InteropDir => Path.Combine(RepoRoot, "tests", "tools", "livekit-interop");

    /// <summary>Skips locally / fails in CI when node or the installed SDK is missing.</summary>
    public static string RequireNode()
    {
        var node = TestEnvironment.RequireProgram("node");
        TestEnvironment.Require(
            File.Exists(Path.Combine(InteropDir, "node_modules", "livekit-server-sdk", "package.json")),
            "livekit-server-sdk is not installed in tests/tools/livekit-interop (run: npm ci --prefix tests/tools/livekit-interop)");
        return node;
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(RequireNode())
        {
            WorkingDirectory = InteropDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(InteropDir, "interop.mjs"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    /// <summary>Runs a subcommand that must succeed and returns its stdout.</summary>
    public static async Task<string> RunOkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"node interop.mjs {args[0]} failed ({result.ExitCode}): {result.Stderr}");
        return result.Stdout;
    }

    public static async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        using var doc = JsonDocument.Parse(await RunOkAsync(args));
        return doc.RootElement.Clone();
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

/// <summary>A clock the test sets by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

internal static class TestKeys
{
    public const string ApiKey = "APIdmvoiceTest";
    public const string ApiSecret = "dmvoice-test-secret-0123456789abcdefghij";
    public const string OtherSecret = "another-secret-that-is-long-enough-0123456";
}
