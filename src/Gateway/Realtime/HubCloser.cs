using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace DmVoice.Gateway.Realtime;

/// <summary>How the gateway closes a connection itself: with a reason the client sees, and (usually) reconnecting allowed.</summary>
internal static class HubCloser
{
    /// <summary>
    /// How long a client gets to hang up after the close message before the transport is cut. Generous:
    /// cutting it while the client has not read the close message yet (a busy device) can reset the
    /// socket, and a reset discards what the client had not read, reason included.
    /// </summary>
    private static readonly TimeSpan HangUpGrace = TimeSpan.FromSeconds(5);

    public static async Task CloseAsync(HubConnectionContext connection, string reason, bool allowReconnect = true)
    {
        try
        {
            // The protocol's own close message, normally with reconnecting allowed: SignalR clients surface
            // the error and their reconnect policy takes over. A write stuck behind a full pipe is not waited for.
            await connection.WriteAsync(new CloseMessage(reason, allowReconnect)).AsTask().WaitAsync(HangUpGrace);

            // A client hangs up as soon as it reads the close message; stop waiting then (a stopping
            // gateway holds its shutdown until every client has).
            await Task.Delay(HangUpGrace, connection.ConnectionAborted);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Stalled or already gone: cut the transport below.
        }

        try
        {
            // Cut the transport, not the hub connection: HubConnectionContext.Abort would send a second close
            // message that forbids reconnecting.
            if (connection.Features.Get<IConnectionLifetimeFeature>() is { } lifetime)
            {
                lifetime.Abort();
            }
            else
            {
                connection.Abort();
            }
        }
        catch (ObjectDisposedException)
        {
            // The client hung up within the grace, as it should: its connection is gone already.
        }
    }
}
