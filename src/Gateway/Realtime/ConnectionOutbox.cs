using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using DmVoice.Gateway.Observability;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// The events on their way to one connection: a bounded queue drained by one send at a time, so
/// events keep their order and a slow client holds up nobody but itself. A connection that falls
/// further behind than the limit is closed with <see cref="ConnectionCloseReasons.EventBacklog"/>:
/// its client reconnects and syncs instead of receiving a silently thinned stream.
/// </summary>
internal sealed partial class ConnectionOutbox(
    HubConnectionContext connection,
    int limit,
    GatewayMetrics metrics,
    ILogger logger)
{
    private readonly Queue<(SerializedHubMessage Message, string EventName, long PostedAt)> _queue = new();
    private bool _sending;
    private bool _closed;

    public string ConnectionId => connection.ConnectionId;

    public HubConnectionContext Connection => connection;

    /// <summary>Whether the gateway is closing (or closed) this connection.</summary>
    public bool IsClosing
    {
        get
        {
            lock (_queue)
            {
                return _closed;
            }
        }
    }

    public void Post(SerializedHubMessage message, string eventName)
    {
        lock (_queue)
        {
            if (_closed)
            {
                return;
            }

            if (_queue.Count >= limit)
            {
                _closed = true;
                _queue.Clear();
            }
            else
            {
                _queue.Enqueue((message, eventName, Stopwatch.GetTimestamp()));
                if (_sending)
                {
                    return;
                }

                _sending = true;
            }
        }

        if (_closed)
        {
            LogBacklog(connection.ConnectionId, limit);
            _ = CloseCoreAsync(ConnectionCloseReasons.EventBacklog);
            return;
        }

        // Started on the caller's thread: a write to a healthy connection completes at once, so the queue
        // stays near empty even when events come in batches (a stream delivers several at a time). A send
        // that has to wait goes on asynchronously, holding up only this connection. (Starting every send on
        // the thread pool instead let batches overflow the queue of connections that were reading fine.)
        _ = SendQueuedAsync();
    }

    /// <summary>
    /// Closes the connection with a reason its client sees; with <paramref name="allowReconnect"/> (the usual
    /// case) the client reconnects and syncs.
    /// </summary>
    public Task CloseAsync(string reason, bool allowReconnect = true)
    {
        lock (_queue)
        {
            if (_closed)
            {
                return Task.CompletedTask;
            }

            _closed = true;
            _queue.Clear();
        }

        return CloseCoreAsync(reason, allowReconnect);
    }

    private async Task SendQueuedAsync()
    {
        while (true)
        {
            (SerializedHubMessage Message, string EventName, long PostedAt) next;
            lock (_queue)
            {
                if (_closed || !_queue.TryDequeue(out next))
                {
                    _sending = false;
                    return;
                }
            }

            try
            {
                await connection.WriteAsync(next.Message);
                metrics.EventDelivered(next.EventName, Stopwatch.GetElapsedTime(next.PostedAt));
            }
            catch (Exception ex)
            {
                LogSendFailed(ex, next.EventName, connection.ConnectionId);
            }
        }
    }

    private Task CloseCoreAsync(string reason, bool allowReconnect = true)
    {
        metrics.ConnectionClosedByGateway(reason);
        return HubCloser.CloseAsync(connection, reason, allowReconnect);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} fell {Limit} events behind; closing it so its client re-syncs")]
    private partial void LogBacklog(string connectionId, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {EventName} to connection {ConnectionId} failed")]
    private partial void LogSendFailed(Exception exception, string eventName, string connectionId);
}
