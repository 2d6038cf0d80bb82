global using DmVoice.Abstractions;
global using DmVoice.TestSupport.Redis;
