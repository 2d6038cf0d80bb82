using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace DmVoice.TestSupport.Processes;

public enum DmVoiceApp
{
    Silo,
    Gateway,
}

/// <summary>
/// One real <c>DmVoice.Silo</c> or <c>DmVoice.Gateway</c> process (<c>dotnet &lt;app&gt;.dll --Key=Value …</c>):
/// started, waited for until its health endpoint says ready, and signalled like an operator or a
/// failing machine would (SIGTERM, SIGKILL, SIGSTOP/SIGCONT). Its output goes to
/// <see cref="LogPath"/> and the last lines are kept for failure messages. It can be started again
/// after it stopped, with the same settings. Disposing kills it if it still runs, and so does the end
/// of the test process.
/// </summary>
public sealed class DmVoiceProcess : IAsyncDisposable
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(60);

    private const int TailCapacity = 300;
    private static readonly ConcurrentDictionary<DmVoiceProcess, byte> Running = new();
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly object _outputLock = new();
    private readonly Queue<string> _tail = new();
    private readonly StreamWriter _log;
    private readonly List<Process> _endedRuns = [];
    private volatile Process? _process;
    private Process? _watchdog;
    private int _starts;

    static DmVoiceProcess()
    {
        // A test run that ends abruptly (a crash, Ctrl+C) must not leave silos behind on a shared machine.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Keys)
            {
                process.KillNow();
            }
        };
    }

    /// <param name="name">Shown in messages and names the log file, e.g. "silo-a".</param>
    /// <param name="app">Which program to run.</param>
    /// <param name="healthAddress">Where its /health endpoints answer: a silo's management URL, a gateway's URL.</param>
    /// <param name="settings">Passed as <c>--Key=Value</c> arguments (configuration keys with ':').</param>
    /// <param name="logDirectory">Folder for <c>&lt;name&gt;.log</c>.</param>
    /// <param name="environment">Environment variables to set (null removes one); the rest is inherited.</param>
    /// <param name="metricsAddress">Where /metrics answers, when not at <paramref name="healthAddress"/>.</param>
    /// <param name="apps">Which build of the program to run (<see cref="DmVoiceApps.Built"/> unless given).</param>
    public DmVoiceProcess(
        string name,
        DmVoiceApp app,
        Uri healthAddress,
        IReadOnlyDictionary<string, string?> settings,
        string logDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        Uri? metricsAddress = null,
        DmVoiceApps? apps = null)
    {
        Name = name;
        App = app;
        AppPath = (apps ?? DmVoiceApps.Built).PathOf(app);
        HealthAddress = healthAddress;
        MetricsAddress = new Uri(metricsAddress ?? healthAddress, "/metrics");
        Settings = new Dictionary<string, string?>(settings);
        Environment = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>());
        Directory.CreateDirectory(logDirectory);
        LogPath = Path.Combine(logDirectory, name + ".log");
        _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
    }

    public string Name { get; }

    public DmVoiceApp App { get; }

    /// <summary>Base address of the health endpoints (and, for a gateway, of its API and hub).</summary>
    public Uri HealthAddress { get; }

    /// <summary>Prometheus metrics: a silo's management port, a gateway's <c>Gateway:ManagementUrls</c>.</summary>
    public Uri MetricsAddress { get; }

    /// <summary>The <c>--Key=Value</c> settings; change them before a (re)start to start differently.</summary>
    public Dictionary<string, string?> Settings { get; }

    public Dictionary<string, string?> Environment { get; }

    public string LogPath { get; }

    /// <summary>The OS process id of the current (or last) run.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException($"{Name} was never started.");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>How long the last start took until <see cref="ReadyPath"/> answered 200 (null until then).</summary>
    public TimeSpan? ReadyAfter { get; private set; }

    /// <summary>The exit code of the last run, once it has ended.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Starts the process and, unless told otherwise, waits until <see cref="ReadyPath"/> answers 200.</summary>
    public async Task StartAsync(bool waitUntilReady = true, TimeSpan? timeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id}).");
        }

        // An ended run's Process is kept until this object is disposed, not disposed here: other threads
        // (a load balancer's health checks) may still hold it and ask whether it runs, and a disposed
        // Process throws instead of answering.
        if (_process is { } ended)
        {
            _endedRuns.Add(ended);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(AppPath)!,
        };
        start.ArgumentList.Add(AppPath);
        foreach (var (key, value) in Settings)
        {
            if (value is not null)
            {
                start.ArgumentList.Add($"--{key}={value}");
            }
        }

        // Nothing from the test runner's own environment may decide where the app listens.
        foreach (var variable in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS" })
        {
            start.Environment.Remove(variable);
        }

        // Development unless told otherwise (tests sign in through /dev/token, which only Development
        // serves); the runtime settings come from the cluster (deploy/'s, see DeployRuntime).
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        _starts++;
        ReadyAfter = null;
        var startedAt = Stopwatch.GetTimestamp();
        Record($"### {DateTime.UtcNow:HH:mm:ss.fff} start #{_starts}: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{Name} did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Running[this] = 0;
        StopWatchdog();
        _watchdog = StartWatchdog(process.Id);

        if (waitUntilReady)
        {
            await WaitUntilReadyAsync(timeout);
            ReadyAfter = Stopwatch.GetElapsedTime(startedAt);
        }
    }

    /// <summary>Waits until <see cref="ReadyPath"/> answers 200; fails with the output's tail if the process exits or time runs out.</summary>
    public Task WaitUntilReadyAsync(TimeSpan? timeout = null) => WaitForAsync(ReadyPath, HttpStatusCode.OK, timeout);

    /// <summary>Waits until <see cref="LivePath"/> answers 200 (the process serves HTTP; the cluster may still be joining).</summary>
    public Task WaitUntilLiveAsync(TimeSpan? timeout = null) => WaitForAsync(LivePath, HttpStatusCode.OK, timeout);

    /// <summary>GET on the health address, e.g. "/metrics".</summary>
    public Task<HttpResponseMessage> GetAsync(string path) => Probe.GetAsync(new Uri(HealthAddress, path));

    /// <summary>
    /// SIGTERM, as systemd, Docker and Kubernetes stop a process, then waits for it to exit and returns
    /// its exit code. If it has not exited in time it is killed and this throws.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        var process = RequireStarted();
        if (!process.HasExited)
        {
            Record($"### {DateTime.UtcNow:HH:mm:ss.fff} SIGTERM");
            Signals.Send(process.Id, Signals.Terminate);
        }

        using var wait = new CancellationTokenSource(timeout ?? DefaultStopTimeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            KillNow();
            throw new TimeoutException($"{Name} did not exit within {timeout ?? DefaultStopTimeout} of SIGTERM and was killed.{Describe()}");
        }

        Running.TryRemove(this, out _);
        return process.ExitCode;
    }

    /// <summary>
    /// Waits until the process has exited on its own (e.g. refused its settings) and all of its output
    /// is in <see cref="Output"/>; returns the exit code. Throws if it still runs after <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        var process = RequireStarted();
        using var wait = new CancellationTokenSource(timeout ?? DefaultStartTimeout);
        try
        {
            // Unlike HasExited, this also waits for the last of the redirected output.
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} was expected to exit but still runs after {timeout ?? DefaultStartTimeout}.{Describe()}");
        }

        Running.TryRemove(this, out _);
        return process.ExitCode;
    }

    /// <summary>SIGKILL: the process vanishes at once, as in a machine or container crash. Returns when it is gone.</summary>
    public async Task KillAsync()
    {
        var process = RequireStarted();
        Record($"### {DateTime.UtcNow:HH:mm:ss.fff} SIGKILL");
        KillNow();
        await process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGSTOP: frozen but not gone, its sockets open (a long GC pause, a stalled VM). Returns once the
    /// system reports the process stopped.
    /// </summary>
    public async Task PauseAsync()
    {
        var process = RequireStarted();
        Record($"### {DateTime.UtcNow:HH:mm:ss.fff} SIGSTOP");
        Signals.Send(process.Id, Signals.Stop);
        await Eventually.TrueAsync(() => Signals.IsStopped(process.Id), $"{Name} to stop after SIGSTOP");
    }

    /// <summary>SIGCONT after <see cref="PauseAsync"/>; returns once the process runs again.</summary>
    public async Task ResumeAsync()
    {
        var process = RequireStarted();
        Record($"### {DateTime.UtcNow:HH:mm:ss.fff} SIGCONT");
        Signals.Send(process.Id, Signals.Continue);
        await Eventually.TrueAsync(() => !Signals.IsStopped(process.Id), $"{Name} to run again after SIGCONT");
    }

    /// <summary>Graceful stop, then a start with the same settings (a rolling restart's step).</summary>
    public async Task RestartAsync(TimeSpan? timeout = null)
    {
        await StopAsync(timeout);
        await StartAsync(timeout: timeout);
    }

    /// <summary>The last <paramref name="lines"/> lines the process wrote (stdout and stderr).</summary>
    public string OutputTail(int lines = 60)
    {
        lock (_outputLock)
        {
            return string.Join('\n', _tail.Skip(Math.Max(0, _tail.Count - lines)));
        }
    }

    /// <summary>Everything in <see cref="LogPath"/>: every run's output, with a "###" line at each start and signal.</summary>
    public string Output()
    {
        using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return reader.ReadToEnd();
    }

    public override string ToString() => $"{App} {Name} ({HealthAddress})";

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                Record($"### {DateTime.UtcNow:HH:mm:ss.fff} SIGKILL (dispose)");
                KillNow();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        StopWatchdog();
        Running.TryRemove(this, out _);
        lock (_outputLock)
        {
            _log.Dispose();
        }
    }

    /// <summary>The <c>.dll</c> this process runs.</summary>
    public string AppPath { get; }

    /// <summary>The dotnet host running these tests (set by the dotnet CLI), else the one on PATH.</summary>
    public static string DotnetHost() =>
        System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : TestEnvironment.FindOnPath("dotnet") ?? "dotnet";

    private async Task WaitForAsync(string path, HttpStatusCode expected, TimeSpan? timeout)
    {
        var process = RequireStarted();
        var limit = timeout ?? DefaultStartTimeout;
        var deadline = DateTime.UtcNow + limit;
        var last = "no answer yet";
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // the last output lines, which usually say why
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before {path} answered {(int)expected}.{Describe()}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri(HealthAddress, path));
                if (response.StatusCode == expected)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name}: {new Uri(HealthAddress, path)} did not answer {(int)expected} within {limit}; last: {last}.{Describe()}");
            }

            await Task.Delay(100);
        }
    }

    private string Describe() =>
        $"\n--- last lines of {Name}'s output (all of it: {LogPath}) ---\n{OutputTail()}\n--- end of {Name}'s output ---";

    /// <summary>
    /// A shell loop that kills the app if this test process dies without cleaning up (a crash, a
    /// SIGKILL from a runner's time limit), which no .NET handler survives. It ends by itself when the
    /// app ends, so it never signals a process id that has been reused.
    /// </summary>
    private static Process? StartWatchdog(int app)
    {
        var self = System.Environment.ProcessId;
        var script = $"while kill -0 {self} 2>/dev/null && kill -0 {app} 2>/dev/null; do sleep 1; done; kill -0 {self} 2>/dev/null || kill -KILL {app} 2>/dev/null";
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            return Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No shell: clean-up then relies on dispose and on the end of the test process.
            return null;
        }
    }

    private void StopWatchdog()
    {
        try
        {
            if (_watchdog is { HasExited: false } watchdog)
            {
                watchdog.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }

        _watchdog?.Dispose();
        _watchdog = null;
    }

    private Process RequireStarted() => _process ?? throw new InvalidOperationException($"{Name} was never started.");

    private void KillNow()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailCapacity)
            {
                _tail.Dequeue();
            }

            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after dispose is dropped.
            }
        }
    }
}
