/*
 * lazy_nats.c - the libnats 3.4 functions redrive calls, forwarded to
 * libnats.so.3.4 once it is loaded (see lazy.h).  libnats brings libssl,
 * libcrypto and libprotobuf-c: linked, they would double the start of
 * every tool (measured: 0.8 ms to 1.9 ms for rd-capture --version), and
 * only a nats:// location needs them.  Each definition takes its
 * prototype from nats.h, so the compiler checks it.  Only the NATS
 * backend (snats*.c) calls these.
 */
#include <nats/nats.h>

#include "lazy.h"
#include "banned.h"

#define NATS_FNS(X) \
	X(jsConsumerInfo_Destroy) X(jsCtx_Destroy) X(jsMsgMetaData_Destroy) \
	X(jsOptions_Init) X(jsPubAck_Destroy) X(jsPubOptions_Init) \
	X(jsStreamConfig_Init) X(jsStreamInfo_Destroy) X(jsSubOptions_Init) \
	X(js_AddStream) X(js_GetConsumerInfo) X(js_GetLastMsg) X(js_GetMsg) X(js_GetStreamInfo) \
	X(js_Publish) X(js_PublishAsync) X(js_PublishAsyncGetPendingList) X(js_PublishMsg) X(js_PullSubscribe) \
	X(js_SubscribeSync) X(natsConnection_Connect) X(natsConnection_Destroy) \
	X(natsConnection_GetMaxPayload) X(natsConnection_GetServers) \
	X(natsConnection_JetStream) X(natsMsgHeader_Get) X(natsMsgHeader_Set) \
	X(natsMsgList_Destroy) \
	X(natsMsg_AckSync) X(natsMsg_InProgress) X(natsMsg_Create) X(natsMsg_Destroy) X(natsMsg_GetData) \
	X(natsMsg_GetDataLength) X(natsMsg_GetMetaData) X(natsMsg_GetSequence) \
	X(natsMsg_GetSubject) X(natsMsg_Nak) X(natsMsg_NakWithDelay) \
	X(natsMsg_Term) X(natsOptions_Create) X(natsOptions_Destroy) \
	X(natsOptions_SetMaxReconnect) X(natsOptions_SetName) \
	X(natsOptions_SetReconnectWait) X(natsOptions_SetServers) \
	X(natsOptions_SetTimeout) X(natsOptions_SetUserInfo) X(natsStatus_GetText) \
	X(natsSubscription_Destroy) X(natsSubscription_Fetch) \
	X(natsSubscription_NextMsg) X(nats_GetLastError)

#define AS_INDEX(f) I_##f,
enum { NATS_FNS(AS_INDEX) NFNS };
#define AS_NAME(f) #f,
static const char *const names[NFNS] = { NATS_FNS(AS_NAME) };
static void *fns[NFNS];
/* The one process-wide handle, as dlopen itself is process-wide. */
static struct lazy_lib nats = { "libnats.so.3.4", names, fns, NFNS, NULL };

/* The function f, with its own type. */
#define REAL(f) (lazy_need(&nats), (__typeof__(&f))fns[I_##f])

int lazy_nats_load(struct rd_err *err)
{
	return lazy_load(&nats, err);
}

void jsConsumerInfo_Destroy(jsConsumerInfo *ci)
{
	REAL(jsConsumerInfo_Destroy)(ci);
}

void jsCtx_Destroy(jsCtx *js)
{
	REAL(jsCtx_Destroy)(js);
}

void jsMsgMetaData_Destroy(jsMsgMetaData *meta)
{
	REAL(jsMsgMetaData_Destroy)(meta);
}

natsStatus jsOptions_Init(jsOptions *opts)
{
	return REAL(jsOptions_Init)(opts);
}

void jsPubAck_Destroy(jsPubAck *pubAck)
{
	REAL(jsPubAck_Destroy)(pubAck);
}

natsStatus jsPubOptions_Init(jsPubOptions *opts)
{
	return REAL(jsPubOptions_Init)(opts);
}

natsStatus jsStreamConfig_Init(jsStreamConfig *cfg)
{
	return REAL(jsStreamConfig_Init)(cfg);
}

void jsStreamInfo_Destroy(jsStreamInfo *si)
{
	REAL(jsStreamInfo_Destroy)(si);
}

natsStatus jsSubOptions_Init(jsSubOptions *opts)
{
	return REAL(jsSubOptions_Init)(opts);
}

natsStatus js_AddStream(jsStreamInfo **si, jsCtx *js, jsStreamConfig *cfg, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(js_AddStream)(si, js, cfg, opts, errCode);
}

natsStatus js_GetConsumerInfo(jsConsumerInfo **ci, jsCtx *js, const char *stream, const char *consumer, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(js_GetConsumerInfo)(ci, js, stream, consumer, opts, errCode);
}

natsStatus js_GetLastMsg(natsMsg **msg, jsCtx *js, const char *stream, const char *subject, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(js_GetLastMsg)(msg, js, stream, subject, opts, errCode);
}

natsStatus js_GetMsg(natsMsg **msg, jsCtx *js, const char *stream, uint64_t seq, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(js_GetMsg)(msg, js, stream, seq, opts, errCode);
}

natsStatus js_GetStreamInfo(jsStreamInfo **si, jsCtx *js, const char *stream, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(js_GetStreamInfo)(si, js, stream, opts, errCode);
}

natsStatus js_Publish(jsPubAck **pubAck, jsCtx *js, const char *subj, const void *data, int dataLen, jsPubOptions *opts, jsErrCode *errCode)
{
	return REAL(js_Publish)(pubAck, js, subj, data, dataLen, opts, errCode);
}

natsStatus js_PublishAsync(jsCtx *js, const char *subj, const void *data, int dataLen, jsPubOptions *opts)
{
	return REAL(js_PublishAsync)(js, subj, data, dataLen, opts);
}

natsStatus js_PublishAsyncGetPendingList(natsMsgList *pending, jsCtx *js)
{
	return REAL(js_PublishAsyncGetPendingList)(pending, js);
}

natsStatus js_PublishMsg(jsPubAck **pubAck, jsCtx *js, natsMsg *msg, jsPubOptions *opts, jsErrCode *errCode)
{
	return REAL(js_PublishMsg)(pubAck, js, msg, opts, errCode);
}

natsStatus js_PullSubscribe(natsSubscription **sub, jsCtx *js, const char *subject, const char *durable, jsOptions *opts, jsSubOptions *subOpts, jsErrCode *errCode)
{
	return REAL(js_PullSubscribe)(sub, js, subject, durable, opts, subOpts, errCode);
}

natsStatus js_SubscribeSync(natsSubscription **sub, jsCtx *js, const char *subject, jsOptions *opts, jsSubOptions *subOpts, jsErrCode *errCode)
{
	return REAL(js_SubscribeSync)(sub, js, subject, opts, subOpts, errCode);
}

natsStatus natsConnection_Connect(natsConnection **nc, natsOptions *options)
{
	return REAL(natsConnection_Connect)(nc, options);
}

void natsConnection_Destroy(natsConnection *nc)
{
	REAL(natsConnection_Destroy)(nc);
}

int64_t natsConnection_GetMaxPayload(natsConnection *nc)
{
	return REAL(natsConnection_GetMaxPayload)(nc);
}

natsStatus natsConnection_GetServers(natsConnection *nc, char ***servers, int *count)
{
	return REAL(natsConnection_GetServers)(nc, servers, count);
}

natsStatus natsConnection_JetStream(jsCtx **js, natsConnection *nc, jsOptions *opts)
{
	return REAL(natsConnection_JetStream)(js, nc, opts);
}

natsStatus natsMsgHeader_Get(natsMsg *msg, const char *key, const char **value)
{
	return REAL(natsMsgHeader_Get)(msg, key, value);
}

natsStatus natsMsgHeader_Set(natsMsg *msg, const char *key, const char *value)
{
	return REAL(natsMsgHeader_Set)(msg, key, value);
}

void natsMsgList_Destroy(natsMsgList *list)
{
	REAL(natsMsgList_Destroy)(list);
}

natsStatus natsMsg_AckSync(natsMsg *msg, jsOptions *opts, jsErrCode *errCode)
{
	return REAL(natsMsg_AckSync)(msg, opts, errCode);
}

natsStatus natsMsg_Create(natsMsg **newMsg, const char *subj, const char *reply, const char *data, int dataLen)
{
	return REAL(natsMsg_Create)(newMsg, subj, reply, data, dataLen);
}

void natsMsg_Destroy(natsMsg *msg)
{
	REAL(natsMsg_Destroy)(msg);
}

const char *natsMsg_GetData(const natsMsg *msg)
{
	return REAL(natsMsg_GetData)(msg);
}

int natsMsg_GetDataLength(const natsMsg *msg)
{
	return REAL(natsMsg_GetDataLength)(msg);
}

natsStatus natsMsg_GetMetaData(jsMsgMetaData **new_meta, natsMsg *msg)
{
	return REAL(natsMsg_GetMetaData)(new_meta, msg);
}

uint64_t natsMsg_GetSequence(natsMsg *msg)
{
	return REAL(natsMsg_GetSequence)(msg);
}

const char *natsMsg_GetSubject(const natsMsg *msg)
{
	return REAL(natsMsg_GetSubject)(msg);
}

natsStatus natsMsg_Nak(natsMsg *msg, jsOptions *opts)
{
	return REAL(natsMsg_Nak)(msg, opts);
}

natsStatus natsMsg_NakWithDelay(natsMsg *msg, int64_t delay, jsOptions *opts)
{
	return REAL(natsMsg_NakWithDelay)(msg, delay, opts);
}

natsStatus natsMsg_Term(natsMsg *msg, jsOptions *opts)
{
	return REAL(natsMsg_Term)(msg, opts);
}

natsStatus natsOptions_Create(natsOptions **newOpts)
{
	return REAL(natsOptions_Create)(newOpts);
}

void natsOptions_Destroy(natsOptions *opts)
{
	REAL(natsOptions_Destroy)(opts);
}

natsStatus natsOptions_SetMaxReconnect(natsOptions *opts, int maxReconnect)
{
	return REAL(natsOptions_SetMaxReconnect)(opts, maxReconnect);
}

natsStatus natsOptions_SetName(natsOptions *opts, const char *name)
{
	return REAL(natsOptions_SetName)(opts, name);
}

natsStatus natsOptions_SetReconnectWait(natsOptions *opts, int64_t reconnectWait)
{
	return REAL(natsOptions_SetReconnectWait)(opts, reconnectWait);
}

natsStatus natsOptions_SetServers(natsOptions *opts, const char** servers, int serversCount)
{
	return REAL(natsOptions_SetServers)(opts, servers, serversCount);
}

natsStatus natsOptions_SetTimeout(natsOptions *opts, int64_t timeout)
{
	return REAL(natsOptions_SetTimeout)(opts, timeout);
}

natsStatus natsOptions_SetUserInfo(natsOptions *opts, const char *user, const char *password)
{
	return REAL(natsOptions_SetUserInfo)(opts, user, password);
}

const char *natsStatus_GetText(natsStatus s)
{
	return REAL(natsStatus_GetText)(s);
}

void natsSubscription_Destroy(natsSubscription *sub)
{
	REAL(natsSubscription_Destroy)(sub);
}

natsStatus natsSubscription_Fetch(natsMsgList *list, natsSubscription *sub, int batch, int64_t timeout, jsErrCode *errCode)
{
	return REAL(natsSubscription_Fetch)(list, sub, batch, timeout, errCode);
}

natsStatus natsSubscription_NextMsg(natsMsg **nextMsg, natsSubscription *sub, int64_t timeout)
{
	return REAL(natsSubscription_NextMsg)(nextMsg, sub, timeout);
}

const char *nats_GetLastError(natsStatus *status)
{
	return REAL(nats_GetLastError)(status);
}

natsStatus natsMsg_InProgress(natsMsg *msg, jsOptions *opts)
{
	return REAL(natsMsg_InProgress)(msg, opts);
}
