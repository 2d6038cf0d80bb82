using System.Diagnostics;
using System.Runtime.InteropServices;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// The silo and the gateway published the way deploy/docker's images publish them (Release,
/// ReadyToRun for this machine's runtime identifier, framework-dependent), so the scaled-out columns
/// measure the start and the first requests a deployment gets rather than those of JIT-compiled builds.
/// Published once per benchmark run, under the output folder.
/// </summary>
public static class PublishedApps
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    public static async Task<DmVoiceApps> PublishAsync(string directory, Action<string> progress)
    {
        var root = RepositoryRoot();
        var rid = RuntimeInformation.RuntimeIdentifier;
        var silo = await PublishOneAsync(root, Path.Combine("src", "Silo", "DmVoice.Silo.csproj"), Path.Combine(directory, "silo"), rid, progress);
        var gateway = await PublishOneAsync(root, Path.Combine("src", "Gateway", "DmVoice.Gateway.csproj"), Path.Combine(directory, "gateway"), rid, progress);
        return new DmVoiceApps(
            Path.Combine(silo, "DmVoice.Silo.dll"),
            Path.Combine(gateway, "DmVoice.Gateway.dll"),
            $"published ReadyToRun ({rid}), as deploy/docker builds them");
    }

    private static async Task<string> PublishOneAsync(string root, string project, string output, string rid, Action<string> progress)
    {
        var clock = Stopwatch.StartNew();
        progress($"publishing {project} (Release, ReadyToRun, {rid}) to {output}");
        // The same dotnet host as the processes that will run the published apps.
        var start = new ProcessStartInfo(DmVoiceProcess.DotnetHost())
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-r", rid, "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output, "--nologo", "-v", "q" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet publish did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PublishTimeout);
        while (!process.HasExited)
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token).WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                progress($"  still publishing {project} ({clock.Elapsed.TotalSeconds:0} s)");
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"dotnet publish {project} took longer than {PublishTimeout.TotalMinutes} minutes");
            }
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish {project} failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        progress($"published {project} in {clock.Elapsed.TotalSeconds:0} s");
        return output;
    }

    /// <summary>
    /// The checkout to publish from: the folder holding DmVoice.sln above the working directory (the
    /// benchmark runs from the repository root) or above the built apps (which may be elsewhere with --artifacts-path).
    /// </summary>
    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), Path.GetDirectoryName(BuiltApps.Silo)!, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DmVoice.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"DmVoice.sln not found above {Directory.GetCurrentDirectory()} or {BuiltApps.Silo}; run the benchmark from the checkout.");
    }
}
