using System.Diagnostics;
using System.Net.Sockets;
using DmVoice.TestSupport.Processes;

namespace DmVoice.TestSupport.Redis;

/// <summary>
/// A private redis-server on a free loopback port, removed on dispose: without persistence to disk,
/// or durable (synced append-only file) so it can be killed and restarted. Used by the tests and by
/// the benchmark.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string? _program;
    private readonly string? _dataDirectory;
    private Process _process;

    private RedisServer(Process process, int port, string? program = null, string? dataDirectory = null)
    {
        _process = process;
        Port = port;
        _program = program;
        _dataDirectory = dataDirectory;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// SIGSTOP: Redis stops answering but keeps its port open, so clients connect and then wait, as
    /// with a stalled server. Returns once it is stopped. Linux only.
    /// </summary>
    public async Task PauseAsync()
    {
        Signals.Send(_process.Id, Signals.Stop);
        await Eventually.TrueAsync(() => Signals.IsStopped(_process.Id), "redis-server to stop after SIGSTOP");
    }

    /// <summary>SIGCONT after <see cref="PauseAsync"/>; returns once Redis runs again.</summary>
    public async Task ResumeAsync()
    {
        Signals.Send(_process.Id, Signals.Continue);
        await Eventually.TrueAsync(() => !Signals.IsStopped(_process.Id), "redis-server to run again after SIGCONT");
    }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>For tests: skips the test (fails it in CI) when redis-server is not installed.</summary>
    public static Task<RedisServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(TestEnvironment.RequireProgram("redis-server"), durable: false, cancellationToken);

    /// <summary>redis-server on PATH, or null when it is not installed.</summary>
    public static string? FindProgram() => TestEnvironment.FindOnPath("redis-server");

    /// <summary>Starts the given redis-server program and waits until it answers PING.</summary>
    /// <param name="durable">
    /// Keep an append-only file synced on every write, so the server can be killed and restarted
    /// (<see cref="KillAsync"/>, <see cref="RestartAsync"/>) without losing anything it acknowledged.
    /// </param>
    public static async Task<RedisServer> StartAsync(string program, bool durable = false, CancellationToken cancellationToken = default)
    {
        var dataDirectory = durable ? Directory.CreateTempSubdirectory("dmvoice-redis-").FullName : null;
        var port = TestEnvironment.FreeTcpPort();
        var server = new RedisServer(StartProcess(program, port, dataDirectory), port, program, dataDirectory);
        await server.WaitUntilAnsweringAsync(cancellationToken);
        return server;
    }

    private static Process StartProcess(string program, int port, string? dataDirectory)
    {
        var info = new ProcessStartInfo(program)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (dataDirectory is null)
        {
            info.ArgumentList.Add("--appendonly");
            info.ArgumentList.Add("no");
        }
        else
        {
            foreach (var arg in new[] { "--appendonly", "yes", "--appendfsync", "always", "--dir", dataDirectory })
            {
                info.ArgumentList.Add(arg);
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
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

    /// <summary>Kills the server with SIGKILL, as a crash would.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port (and, when durable, with the same data).</summary>
    public async Task RestartAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
        _process = StartProcess(_program!, Port, _dataDirectory);
        await WaitUntilAnsweringAsync(CancellationToken.None);
    }

    /// <summary>
    /// <c>CLIENT PAUSE ms WRITE</c>: the server holds every write (reads go on) for that long. A write
    /// held longer than a client's timeout fails at the client, and may still be applied afterwards.
    /// </summary>
    public Task PauseWritesAsync(TimeSpan duration) =>
        SendAsync("CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(), "WRITE");

    private async Task SendAsync(params string[] command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        var request = new System.Text.StringBuilder($"*{command.Length}\r\n");
        foreach (var part in command)
        {
            request.Append($"${System.Text.Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }

        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);
        if (read == 0 || buffer[0] != (byte)'+')
        {
            throw new InvalidOperationException($"redis-server refused {string.Join(' ', command)}: {System.Text.Encoding.UTF8.GetString(buffer, 0, read)}");
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
        try
        {
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

        _process.Dispose();
        if (_dataDirectory is not null)
        {
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean up.
            }
        }
    }
}
