using System.Net;
using System.Net.Sockets;

namespace DmVoice.TestSupport.Processes;

/// <summary>
/// A TCP load balancer in front of gateway processes, as clients meet them in production: each new
/// client connection goes to the next backend, in turn, among those whose <c>/health/ready</c> answered
/// 200 at the last check (every <see cref="CheckInterval"/>); a backend that refuses the connection is
/// skipped for the next. Bytes are copied both ways until either side closes, so REST and WebSockets
/// pass unchanged. It keeps no session affinity: SignalR clients behind it connect with WebSockets and
/// skip negotiation, so each connection is one request.
/// </summary>
public sealed class LoadBalancer : IAsyncDisposable
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(200);

    private readonly DmVoiceProcess[] _backends;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Task _checking;
    private readonly HashSet<DmVoiceProcess> _ready = [];
    private readonly Dictionary<DmVoiceProcess, int> _open = [];
    private readonly object _lock = new();
    private int _next;

    private LoadBalancer(IPAddress address, int port, IReadOnlyList<DmVoiceProcess> backends)
    {
        _backends = [.. backends];
        _listener = new TcpListener(address, port);
        _listener.Start(512);
        Address = new Uri($"http://{address}:{port}");
        _checking = Task.Run(CheckLoopAsync);
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where clients connect: http://address:port.</summary>
    public Uri Address { get; }

    /// <summary>Starts a balancer on a free port of <paramref name="address"/> in front of <paramref name="backends"/> (gateways).</summary>
    public static LoadBalancer Start(IPAddress address, params DmVoiceProcess[] backends) =>
        new(address, LoopbackAddresses.FreePort(address), backends);

    /// <summary>Client connections currently passed to <paramref name="backend"/>.</summary>
    public int OpenConnections(DmVoiceProcess backend)
    {
        lock (_lock)
        {
            return _open.GetValueOrDefault(backend);
        }
    }

    /// <summary>Whether the last health check found <paramref name="backend"/> ready.</summary>
    public bool IsReady(DmVoiceProcess backend)
    {
        lock (_lock)
        {
            return _ready.Contains(backend);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await Task.WhenAll(_accepting, _checking).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task CheckLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await Task.WhenAll(_backends.Select(async backend =>
            {
                var ready = false;
                try
                {
                    if (backend.IsRunning)
                    {
                        using var response = await backend.GetAsync(DmVoiceProcess.ReadyPath);
                        ready = response.StatusCode == HttpStatusCode.OK;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    // Not answering, or between runs: not ready. Nothing may end this loop but the
                    // balancer's disposal, or every backend's readiness would stay frozen.
                }

                lock (_lock)
                {
                    if (ready)
                    {
                        _ready.Add(backend);
                    }
                    else
                    {
                        _ready.Remove(backend);
                    }
                }
            }));

            try
            {
                await Task.Delay(CheckInterval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    /// <summary>The backends to try for one new connection: the ready ones from the next in turn; all of them if none is ready.</summary>
    private DmVoiceProcess[] Candidates()
    {
        lock (_lock)
        {
            var start = _next++;
            var ordered = Enumerable.Range(0, _backends.Length).Select(i => _backends[(start + i) % _backends.Length]).ToArray();
            var ready = ordered.Where(_ready.Contains).ToArray();
            return ready.Length > 0 ? ready : ordered;
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        foreach (var backend in Candidates())
        {
            var server = new TcpClient { NoDelay = true };
            try
            {
                await server.ConnectAsync(backend.HealthAddress.Host, backend.HealthAddress.Port, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _open[backend] = _open.GetValueOrDefault(backend) + 1;
            }

            try
            {
                using (server)
                {
                    await PipeAsync(client, server);
                }
            }
            finally
            {
                lock (_lock)
                {
                    _open[backend]--;
                }
            }

            return;
        }

        // No backend took it: the client sees the connection reset, as with a real balancer.
        client.Client.LingerState = new LingerOption(true, 0);
    }

    /// <summary>Copies both ways; when one side ends, the other is closed too.</summary>
    private async Task PipeAsync(TcpClient client, TcpClient server)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var clientStream = client.GetStream();
        var serverStream = server.GetStream();
        var up = CopyAsync(clientStream, serverStream, server.Client, done.Token);
        var down = CopyAsync(serverStream, clientStream, client.Client, done.Token);
        await Task.WhenAny(up, down);
        await done.CancelAsync();
        await Task.WhenAll(up, down);
    }

    private static async Task CopyAsync(NetworkStream from, NetworkStream to, Socket toSocket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    // The sender finished: pass the end on, as a proxy does.
                    toSocket.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away: the pipe ends.
        }
    }
}
