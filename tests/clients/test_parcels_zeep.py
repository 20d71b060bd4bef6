"""The EDI file loop with zeep, from the original and the served WSDL, SOAP
1.1 and 1.2: demo uploads an X12 850 addressed by its ISA header to
partner; partner's ParcelInBox lists it with its file name, size and both
sides; ParcelDownload returns the exact bytes (sha256); ParcelDownloadConfirm
is true and the parcel leaves the inbox; ParcelInfo says InBoxTransferred;
demo's ParcelOutBoxArchive shows it acknowledged. Faults: someone else's
parcel (Authorization) and an unknown one (ObjectNotFound).
"""

import datetime
import hashlib
import uuid

import pytest
import zeep

from offline_transport import OfflineTransport
from results import ORIGINAL_V41, SERVED_V41


def _proxy(wsdl, soap, gateway):
    client = zeep.Client(str(wsdl), transport=OfflineTransport())
    service = next(iter(client.wsdl.services.values()))
    suffix = "Soap12" if soap == "1.2" else "Soap"
    port = next(p for name, p in service.ports.items() if name.endswith(suffix))
    return client.create_service(port.binding.name, gateway.v41)


def _x12_850(po: str) -> bytes:
    return (
        "ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*T*>~"
        "GS*PO*ECGRIDDEMO*ECGRIDPARTNER*20260507*1030*1*X*004010~ST*850*0001~"
        f"BEG*00*SA*{po}**20260507~PO1*1*10*EA*9.99**VP*WIDGET~SE*4*0001~GE*1*1~IEA*1*000000001~"
    ).encode()


def _mine(collection, file_name):
    parcels = collection.ParcelIDInfoList.ParcelIDInfo if collection.ParcelIDInfoList else []
    return [p for p in parcels if p.FileName == file_name]


@pytest.mark.parametrize("wsdl", [ORIGINAL_V41, SERVED_V41], ids=["original", "served"])
@pytest.mark.parametrize("soap", ["1.1", "1.2"])
def test_two_parties_move_a_file(soap, wsdl, gateway):
    proxy = _proxy(wsdl, soap, gateway)
    demo = proxy.Login(LoginName="demo", Password="Demo#2026")
    partner = proxy.Login(LoginName="partner", Password="Partner#2026")
    name = f"850-{uuid.uuid4().hex[:8]}.edi"
    edi = _x12_850(name)

    outbound = proxy.ParcelUpload(SessionID=demo, FileName=name, Bytes=len(edi), Content=edi)
    assert outbound > 0

    listed = _mine(proxy.ParcelInBox(SessionID=partner), name)
    assert len(listed) == 1
    parcel = listed[0]
    assert parcel.ParcelBytes == len(edi)
    assert (parcel.MailboxIDFrom, parcel.MailboxIDTo) == (101, 201)
    assert parcel.StatusCode == "InBoxReady"

    file = proxy.ParcelDownload(SessionID=partner, ParcelID=parcel.ParcelID)
    assert hashlib.sha256(file.Content).hexdigest() == hashlib.sha256(edi).hexdigest()
    assert file.FileName == name

    with pytest.raises(zeep.exceptions.Fault) as not_yours:
        proxy.ParcelDownload(SessionID=demo, ParcelID=parcel.ParcelID)
    assert "not in your mailbox" in not_yours.value.message
    with pytest.raises(zeep.exceptions.Fault) as unknown:
        proxy.ParcelInfo(SessionID=partner, ParcelID=987654321)
    assert "987654321" in unknown.value.message

    assert proxy.ParcelDownloadConfirm(SessionID=partner, ParcelID=parcel.ParcelID) is True
    assert _mine(proxy.ParcelInBox(SessionID=partner), name) == []
    info = proxy.ParcelInfo(SessionID=partner, ParcelID=parcel.ParcelID)
    assert info.StatusCode == "InBoxTransferred"
    assert [entry.StatusCode for entry in info.Log.ManifestInfo][0] == "InBoxReady"

    archive = proxy.ParcelOutBoxArchive(
        SessionID=demo,
        BeginDate=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
        EndDate=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1),
        ECGridIDFrom=0,
        ECGridIDTo=0,
        PageNo=1,
        RecordsPerPage=500,
    )
    sent = _mine(archive, name)
    assert [p.ParcelID for p in sent] == [outbound]
    assert sent[0].StatusCode == "outboxAcknowledged"
