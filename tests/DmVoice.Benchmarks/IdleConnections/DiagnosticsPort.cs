using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace DmVoice.Benchmarks.IdleConnections;

/// <summary>
/// Asks another .NET process for a full, blocking garbage collection through its diagnostic port (the
/// runtime's IPC socket <c>dotnet-diagnostic-&lt;pid&gt;-*-socket</c> in the temp folder, which every
/// .NET process opens unless <c>DOTNET_EnableDiagnostics=0</c>): an EventPipe session that enables the
/// runtime provider's GCHeapCollect keyword makes the runtime collect, as heap-dump tools do. The
/// session is stopped at once and whatever it streamed is read and dropped.
/// </summary>
public static class DiagnosticsPort
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const ulong GcHeapCollectKeyword = 0x800000;
    private const uint Informational = 4;
    private const byte EventPipeCommands = 0x02;
    private const byte StopTracing = 0x01;
    private const byte CollectTracing = 0x02;
    private const byte ServerResponses = 0xFF;
    private const byte Ok = 0x00;
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("DOTNET_IPC_V1\0");

    /// <summary>The socket of process <paramref name="processId"/>, or null when there is none.</summary>
    public static string? SocketOf(int processId) =>
        Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{processId}-*-socket").FirstOrDefault();

    /// <summary>Starts and stops a session that makes the process collect; throws when the port refuses.</summary>
    public static async Task InduceFullCollectionAsync(int processId, TimeSpan timeout)
    {
        var path = SocketOf(processId) ?? throw new InvalidOperationException($"Process {processId} has no diagnostic port in {Path.GetTempPath()}.");
        using var cancel = new CancellationTokenSource(timeout);

        // CollectTracing: buffer size in MB, format (1 = nettrace), then one provider.
        var payload = new List<byte>();
        payload.AddRange(UInt32(1));
        payload.AddRange(UInt32(1));
        payload.AddRange(UInt32(1));
        payload.AddRange(UInt64(GcHeapCollectKeyword));
        payload.AddRange(UInt32(Informational));
        payload.AddRange(IpcString(RuntimeProvider));
        payload.AddRange(IpcString(null));

        using var session = await ConnectAsync(path, cancel.Token);
        await session.SendAsync(Message(CollectTracing, [.. payload]), SocketFlags.None, cancel.Token);
        var sessionId = BinaryPrimitives.ReadUInt64LittleEndian(await ReadResponseAsync(session, "start the session", cancel.Token));

        // The session streams to its socket until it is stopped: read it so the runtime never waits on us.
        var drain = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (await session.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Closed or timed out: nothing more to read.
            }
        });

        using (var stop = await ConnectAsync(path, cancel.Token))
        {
            await stop.SendAsync(Message(StopTracing, UInt64(sessionId)), SocketFlags.None, cancel.Token);
            await ReadResponseAsync(stop, "stop the session", cancel.Token);
        }

        await drain;
    }

    private static async Task<Socket> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads a response header and its payload; throws with the error code unless it is OK.</summary>
    private static async Task<byte[]> ReadResponseAsync(Socket socket, string what, CancellationToken cancellationToken)
    {
        var header = await ReadExactlyAsync(socket, 20, cancellationToken);
        var size = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(14));
        var body = await ReadExactlyAsync(socket, Math.Max(0, size - 20), cancellationToken);
        if (header[16] != ServerResponses || header[17] != Ok)
        {
            var code = body.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(body) : 0;
            throw new InvalidOperationException($"The diagnostic port refused to {what}: 0x{code:X8}.");
        }

        return body;
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new InvalidOperationException("The diagnostic port closed the connection.");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Header (magic, total size, command set, command id, reserved) and payload.</summary>
    private static byte[] Message(byte command, byte[] payload)
    {
        var message = new byte[20 + payload.Length];
        Magic.CopyTo(message, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(14), (ushort)message.Length);
        message[16] = EventPipeCommands;
        message[17] = command;
        payload.CopyTo(message, 20);
        return message;
    }

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] UInt64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Length in UTF-16 code units with the terminating NUL, then the characters and the NUL; null is length 0.</summary>
    private static byte[] IpcString(string? value)
    {
        if (value is null)
        {
            return UInt32(0);
        }

        var chars = Encoding.Unicode.GetBytes(value + "\0");
        return [.. UInt32((uint)(value.Length + 1)), .. chars];
    }
}
