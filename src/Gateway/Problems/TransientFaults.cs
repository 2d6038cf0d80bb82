using Orleans.Persistence.Redis;
using Orleans.Reminders.Redis;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using StackExchange.Redis;

namespace DmVoice.Gateway.Problems;

/// <summary>
/// The one place that tells a passing fault of the cluster (answered 503 <c>temporarily_unavailable</c>,
/// and retried for reads) from a bug (500). A fault is transient when the request itself was fine and the
/// same request may succeed shortly: a silo is going away or cannot be reached yet, a call timed out,
/// storage (Redis) could not be reached, or an ETag conflict showed that another activation wrote first.
/// </summary>
public static class TransientFaults
{
    /// <summary>
    /// Whether <paramref name="exception"/>, or any exception it wraps (inner or aggregated), is a
    /// transient fault. A <see cref="DmVoiceException"/> is an answer about the request, never transient.
    /// </summary>
    public static bool IsTransient(Exception? exception) => Find(exception, depth: 0);

    private static bool Find(Exception? exception, int depth)
    {
        // Exception chains are short; the bound only guards against a pathological cycle.
        if (exception is null || depth > 16)
        {
            return false;
        }

        if (IsTransientType(exception))
        {
            return true;
        }

        if (exception is DmVoiceException)
        {
            return false;
        }

        if (exception is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions)
            {
                if (Find(inner, depth + 1))
                {
                    return true;
                }
            }

            return false;
        }

        return Find(exception.InnerException, depth + 1);
    }

    private static bool IsTransientType(Exception exception) => exception switch
    {
        // The target silo died or is leaving, the gateway has no connection to the cluster, or the
        // message was rejected before any grain code ran (SiloUnavailableException derives from
        // OrleansMessageRejectionException). Nothing was applied; the next try finds a live silo.
        OrleansMessageRejectionException => true,
        GatewayTooBusyException => true,
        ClientNotAvailableException => true,
        ConnectionFailedException => true,

        // Orleans breaks a call's promise with this when no response came within
        // Orleans:Messaging:ResponseTimeout (a silo that died without a goodbye, a stalled store).
        // StackExchange.Redis' RedisTimeoutException derives from it.
        TimeoutException => true,

        // Orleans gives up on a call with a cancellation of its own when the cluster is stalled: an
        // activation cancelled while it waited (its silo frozen, its state not loadable in time), a
        // message that expired before placement could find a silo for its grain. The request was fine
        // and no grain code of it ran to the end. (TaskCanceledException derives from it.)
        OperationCanceledException => true,

        // Redis grain storage and reminders wrap every Redis error (unreachable, timed out, paused for
        // writes) in these, with the Redis error only in the message; the Redis client's own type
        // covers a grain that talks to Redis directly.
        RedisStorageException => true,
        RedisRemindersException => true,
        RedisConnectionException => true,

        // The ETag did not match: another activation of the grain wrote first (a duplicate activation
        // during a partition). Orleans drops the loser, and the next call reads the stored state.
        InconsistentStateException => true,
        _ => false,
    };
}
