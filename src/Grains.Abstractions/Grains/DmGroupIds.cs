using System.Security.Cryptography;
using System.Text;

namespace DmVoice.Abstractions;

/// <summary>How DM group ids are made.</summary>
public static class DmGroupIds
{
    /// <summary>
    /// A 1:1 DM's id is derived from the pair, so creating it twice (from either side) finds the
    /// same grain. Hashed because two 128-character user ids would not fit in one id.
    /// </summary>
    public static string ForPair(string userA, string userB)
    {
        var (first, second) = string.CompareOrdinal(userA, userB) <= 0 ? (userA, userB) : (userB, userA);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{first}\n{second}"));
        return "dm-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>A group DM gets a fresh random id.</summary>
    public static string NewGroup() => "gdm-" + Guid.NewGuid().ToString("N");
}
