using System.Diagnostics;
using System.Net.Sockets;
using DmVoice.TestSupport.Processes;

namespace DmVoice.TestSupport.Redis;

/// <summary>
/// A private redis-server on a free loopback port, without persistence to disk, removed on dispose.
/// Used by the tests and by the benchmark.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
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
        StartAsync(TestEnvironment.RequireProgram("redis-server"), cancellationToken);

    /// <summary>redis-server on PATH, or null when it is not installed.</summary>
    public static string? FindProgram() => TestEnvironment.FindOnPath("redis-server");

    /// <summary>Starts the given redis-server program and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(string program, CancellationToken cancellationToken = default)
    {
        var port = TestEnvironment.FreeTcpPort();
        var process = Process.Start(new ProcessStartInfo(program)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new RedisServer(process, port);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await server.PingAsync(cancellationToken))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server did not answer on port {port}");
            }

            await Task.Delay(50, cancellationToken);
        }

        return server;
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
    }
}
