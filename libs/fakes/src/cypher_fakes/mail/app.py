"""The SMTP sink's HTTP side: list, read and clear the received messages."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cypher_fakes.mail.sink import Mailbox


class MailApi:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def list_messages(self, request: Request) -> Response:
        to = request.query_params.get("to")
        wanted = None if to is None else to.strip().lower()
        return JSONResponse(
            [
                m.summary()
                for m in self.mailbox.messages
                if wanted is None or wanted in m.recipients()
            ]
        )

    async def clear(self, request: Request) -> Response:
        self.mailbox.clear()
        return JSONResponse({"deleted": True})

    async def get_message(self, request: Request) -> Response:
        message = self.mailbox.find(request.path_params["id"])
        if message is None:
            return JSONResponse({"error": "no such message"}, status_code=404)
        return JSONResponse({**message.summary(), "html": message.html})

    async def raw(self, request: Request) -> Response:
        message = self.mailbox.find(request.path_params["id"])
        if message is None:
            return JSONResponse({"error": "no such message"}, status_code=404)
        return Response(message.raw, media_type="message/rfc822")

    async def attachment(self, request: Request) -> Response:
        message = self.mailbox.find(request.path_params["id"])
        index = request.path_params["index"]
        if message is None or index >= len(message.attachments):
            return JSONResponse({"error": "no such message or attachment"}, status_code=404)
        part = message.attachments[index]
        headers = {"Content-Disposition": f'attachment; filename="{part.filename or "part"}"'}
        return Response(part.payload, media_type=part.content_type, headers=headers)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def build_app(api: MailApi) -> Starlette:
    return Starlette(
        routes=[
            Route("/_fake/health", api.health),
            Route("/_fake/messages", api.list_messages, methods=["GET"]),
            Route("/_fake/messages", api.clear, methods=["DELETE"]),
            Route("/_fake/reset", api.clear, methods=["POST"]),
            Route("/_fake/messages/{id:int}", api.get_message),
            Route("/_fake/messages/{id:int}/raw", api.raw),
            Route("/_fake/messages/{id:int}/attachments/{index:int}", api.attachment),
        ]
    )
