using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using DmVoice.TestSupport.Processes;

namespace DmVoice.TestSupport.Redis;

/// <summary>
/// A private redis-server on a free loopback port, removed on dispose. Used by the tests and by the
/// benchmark. By default nothing is persisted; a durable one (<see cref="StartDurableAsync"/>) keeps an
/// append-only file synced on every write, so it can be killed and restarted with its data, as a
/// production Redis would be.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _program;
    private readonly string? _dataDirectory;
    private Process _process;

    private RedisServer(string program, Process process, int port, string? dataDirectory)
    {
        _program = program;
        _process = process;
        Port = port;
        _dataDirectory = dataDirectory;
    }

    public int Port { get; }

    /// <summary>The OS process id of the running redis-server (its CPU is measured by the benchmark).</summary>
    public int ProcessId => _process.Id;

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>For tests: skips the test (fails it in CI) when redis-server is not installed.</summary>
    public static Task<RedisServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(TestEnvironment.RequireProgram("redis-server"), cancellationToken);

    /// <summary>
    /// For tests: a redis-server whose data survives <see cref="KillAsync"/> and <see cref="RestartAsync"/>
    /// (an append-only file, fsynced on every write). Skips the test (fails it in CI) without redis-server.
    /// </summary>
    public static async Task<RedisServer> StartDurableAsync(CancellationToken cancellationToken = default)
    {
        var program = TestEnvironment.RequireProgram("redis-server");
        var directory = Directory.CreateTempSubdirectory("dmvoice-redis-").FullName;
        var port = TestEnvironment.FreeTcpPort();
        var server = new RedisServer(program, Launch(program, port, directory), port, directory);
        await server.WaitUntilReadyAsync(cancellationToken);
        return server;
    }

    /// <summary>redis-server on PATH, or null when it is not installed.</summary>
    public static string? FindProgram() => TestEnvironment.FindOnPath("redis-server");

    /// <summary>Starts the given redis-server program and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(string program, CancellationToken cancellationToken = default)
    {
        var port = TestEnvironment.FreeTcpPort();
        var server = new RedisServer(program, Launch(program, port, dataDirectory: null), port, dataDirectory: null);
        await server.WaitUntilReadyAsync(cancellationToken);
        return server;
    }

    /// <summary>Kills the server (SIGKILL): every client loses its connection at once, as in a crash.</summary>
    public async Task KillAsync()
    {
        try
        {
            // SIGKILL ends a frozen process as well.
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Starts the server again on the same port (with its data, when durable) after <see cref="KillAsync"/>.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync();
        _process.Dispose();
        _process = Launch(_program, Port, _dataDirectory);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>
    /// Freezes the server (SIGSTOP), as a stalled host or a long pause would: connections stay open and
    /// every command waits, until <see cref="ThawAsync"/>. (A <c>CLIENT PAUSE … ALL</c> cannot be ended
    /// early: it holds back <c>CLIENT UNPAUSE</c> too.)
    /// </summary>
    public async Task FreezeAsync()
    {
        Signals.Send(_process.Id, Signals.Stop);
        await Eventually.TrueAsync(() => Signals.IsStopped(_process.Id), "redis-server to stop after SIGSTOP");
    }

    /// <summary>Lets a frozen server run again (SIGCONT); the commands that waited are answered.</summary>
    public async Task ThawAsync()
    {
        Signals.Send(_process.Id, Signals.Continue);
        await Eventually.TrueAsync(() => !Signals.IsStopped(_process.Id), "redis-server to run again after SIGCONT");
    }

    /// <summary>
    /// <c>CLIENT PAUSE ms WRITE</c>: the server holds every write (reads go on) for that long. A write
    /// held longer than a client's timeout fails at the client, and may still be applied afterwards.
    /// </summary>
    public Task PauseWritesAsync(TimeSpan duration) =>
        CommandAsync("CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(), "WRITE");

    /// <summary>
    /// Sends one command (e.g. <c>CLIENT PAUSE 60000 WRITE</c>, <c>CLIENT UNPAUSE</c>) and returns the first
    /// line of the reply; an error reply (<c>-ERR …</c>) throws.
    /// </summary>
    public async Task<string> CommandAsync(params string[] arguments)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var reply = await reader.ReadLineAsync() ?? throw new InvalidOperationException("redis-server closed the connection without a reply");
        return reply.StartsWith('-')
            ? throw new InvalidOperationException($"redis-server refused '{string.Join(' ', arguments)}': {reply}")
            : reply;
    }

    private static Process Launch(string program, int port, string? dataDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (dataDirectory is null)
        {
            start.ArgumentList.Add("--appendonly");
            start.ArgumentList.Add("no");
        }
        else
        {
            foreach (var argument in new[] { "--dir", dataDirectory, "--appendonly", "yes", "--appendfsync", "always" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await PingAsync(cancellationToken))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                await DisposeAsync();
                throw new InvalidOperationException($"redis-server did not answer on port {Port}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        if (_dataDirectory is not null)
        {
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
    }
}
